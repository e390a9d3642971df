"""Viewing: progress posts from the player, resume points, plays and completions."""
