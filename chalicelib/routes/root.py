"""The composition root: settings, clients and domain services, built once per container.

A Lambda container imports this once at cold start; every request and event it then serves
reuses the same clients (connection pools) and services. Handlers import what they use from
here and never build their own.
"""

from __future__ import annotations

from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from chalicelib.services import Services

settings = Settings.from_env()
resources = Resources(settings)
services = Services(resources)
