"""Resumable uploads: S3 multipart uploads the API starts, signs part by part and completes."""
