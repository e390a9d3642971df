"""Notflix API: routes and event handlers only; the work lives in ``chalicelib``."""

from __future__ import annotations

from chalice.app import Chalice, Response

from chalicelib import logs
from chalicelib.config import Settings
from chalicelib.health.checks import check_all
from chalicelib.http import install_middleware, json_response
from chalicelib.resources import Resources

app = Chalice(app_name="notflix", configure_logs=False)
settings = Settings.from_env()
logs.use_for(app, settings.log_level)
resources = Resources(settings)
install_middleware(app)


@app.route("/health", methods=["GET"])
def health() -> Response:
    statuses = check_all(resources)
    down = [s.name for s in statuses if not s.ok]
    body = {
        "status": "down" if down else "up",
        "down": down,
        "dependencies": {s.name: s.as_dict() for s in statuses},
    }
    return json_response(body, 503 if down else 200)
