"""Search: the typo-tolerant title index and its queries."""
