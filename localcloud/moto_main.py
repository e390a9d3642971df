"""`python -m localcloud.moto_main`: moto's server with localcloud.moto_speedups and
localcloud.moto_fixes applied."""

from __future__ import annotations

from moto.server import main

from localcloud import moto_fixes, moto_speedups

if __name__ == "__main__":
    moto_speedups.install()
    moto_fixes.install()
    main()
