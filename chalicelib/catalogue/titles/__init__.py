"""Titles: the records, their tables, and what reads and writes them."""
