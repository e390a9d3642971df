"""The embedded local cloud: sidecar servers, infra deployment, the event runner and the CLI.

None of this ships to Lambda; it exists so the app runs on one machine without Docker.
"""
