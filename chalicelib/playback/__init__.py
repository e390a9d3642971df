"""Playback: who may watch, where a title's stream is, short-lived links to its files."""
