"""The demo catalogue: vega-datasets films and a few generated series."""
