"""`python -m localcloud.moto_main`: moto's server with localcloud.moto_speedups,
localcloud.moto_fixes and localcloud.moto_s3_events applied."""

from __future__ import annotations

from moto.server import main

from localcloud import moto_fixes, moto_s3_events, moto_speedups

if __name__ == "__main__":
    moto_speedups.install()
    moto_fixes.install()
    moto_s3_events.install()
    main()
