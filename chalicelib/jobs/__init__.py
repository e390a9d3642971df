"""Encode jobs as the API sees them: the table (shared with the encoder), status, uploads."""
