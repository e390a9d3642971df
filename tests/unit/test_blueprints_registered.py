"""Every route a module of chalicelib/routes declares is served by the app."""

from __future__ import annotations

import importlib
import pkgutil

import chalicelib.routes


def test_every_declared_route_is_registered_on_the_app() -> None:
    from app import app
    from chalicelib.openapi.declarations import DECLARED

    for module in pkgutil.iter_modules(chalicelib.routes.__path__):
        importlib.import_module(f"chalicelib.routes.{module.name}")
    served = {(method, path) for path, entry in app.routes.items() for method in entry}
    missing = sorted(set(DECLARED) - served)
    assert not missing, f"declared but not registered (a blueprint left out of app.py): {missing}"
