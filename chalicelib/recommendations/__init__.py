"""Recommendations from the Neo4j graph: sync from the other domains, queries, caches.

- ``events``: the graph updates other domains emit (titles, users, watches, ratings);
- ``outbox``: sends them to the graph-sync queue; ``sync``: applies them with UNWIND + MERGE;
- ``schema``: constraints and indexes (created at deploy, ``IF NOT EXISTS``);
- ``queries`` + ``recommender``: collaborative, content-based and popular blends with reasons;
- ``cache`` and ``trending``: Redis sorted sets in front of and beside the graph.
"""
