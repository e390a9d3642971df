"""Dependency health: one real round trip to each backing service."""
