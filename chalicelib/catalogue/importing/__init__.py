"""Catalogue imports: TMDB daily exports (with the details client) and IMDb lists."""
