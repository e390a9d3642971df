"""`python -m localcloud.emulator.main`: moto's server with the fixes, atomic DynamoDB requests,
speed-ups, S3 events and SES mailbox of `localcloud.emulator` applied."""

from __future__ import annotations

from moto.server import main

from localcloud.emulator import atomic_dynamodb, fixes, mailbox, s3_events, speedups

if __name__ == "__main__":
    speedups.install()
    fixes.install()
    atomic_dynamodb.install()
    s3_events.install()
    mailbox.install()
    main()
