"""Catalogue: films and series, imports from TMDB and IMDb, search and rankings."""
