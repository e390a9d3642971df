"""A local TMDB: v3 details endpoints with `append_to_response`, and the daily ID exports."""
