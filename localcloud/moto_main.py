"""`python -m localcloud.moto_main`: moto's server with localcloud.moto_speedups,
localcloud.moto_fixes, localcloud.moto_s3_events and localcloud.moto_mailbox applied."""

from __future__ import annotations

from moto.server import main

from localcloud import moto_fixes, moto_mailbox, moto_s3_events, moto_speedups

if __name__ == "__main__":
    moto_speedups.install()
    moto_fixes.install()
    moto_s3_events.install()
    moto_mailbox.install()
    main()
