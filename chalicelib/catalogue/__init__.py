"""The catalogue: films and series, where they come from and how they are found.

- `titles/`: the records, their tables and what reads them (browse and its plan, facets
  and the browse choices' counts, episodes, posters, the IMDb match keys) and writes them
  (`writer`).
- `importing/`: TMDB's daily exports and the client that fetches details, and IMDb lists
  uploaded by viewers.
- `search/`: the typo-tolerant search index and its queries.
- `rankings.py`: best-rated titles per country; `rebuild.py`: what is derived from the whole
  catalogue (search index, rankings, browse choices), rebuilt after imports.
- `demo/`: the demo catalogue `make run` loads.
- `schemas.py`: the request bodies of the catalogue's routes.
"""
