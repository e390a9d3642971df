"""Ratings: a viewer's thumbs up and down, on the same 1..10 scale as imported IMDb ratings."""
