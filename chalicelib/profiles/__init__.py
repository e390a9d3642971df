"""Profiles: up to five viewers per account, each with its own viewing data and maturity."""
