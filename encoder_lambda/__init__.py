"""The encoder function: SQS batches of S3 upload events in, DASH streams out."""
