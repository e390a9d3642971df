"""The demo catalogue: Wikidata's films (bokeh-sampledata, CC0) and a few generated series."""
