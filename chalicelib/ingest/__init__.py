"""Ingest webhooks: external systems (a storage provider, a CI) ask for an S3 key's ingest."""
