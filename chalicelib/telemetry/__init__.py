"""Playback quality (QoE) telemetry: the play registry, the player's beacons and their
aggregation per day, title and rendition (Redis), and the console's playback report."""
