"""Search: titles, their people and genres, with typo tolerance.

`names` is the word-prefix index over ranked names, `fuzzy` the typo corrector, `index`
puts them together (built offline, loaded per container), `service` serves it to the API.
"""
