"""`python -m localcloud.moto_main`: moto's server with localcloud.moto_speedups applied."""

from __future__ import annotations

from moto.server import main

from localcloud.moto_speedups import install

if __name__ == "__main__":
    install()
    main()
