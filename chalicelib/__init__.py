"""Notflix domain packages. `app.py` wires them to routes and event sources."""
