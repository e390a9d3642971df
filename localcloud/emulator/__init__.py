"""What makes moto behave as AWS does where the local stack needs it: fixes, speed-ups, S3
events as S3 sends them, a mailbox for SES, and the template properties moto ignores.

`python -m localcloud.emulator.main` runs moto's server with all of them applied.
"""
