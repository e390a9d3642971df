"""Notflix API: the assembly of the app. Routes live in ``chalicelib/routes/`` (a blueprint
per domain, the pages and the workers); the work lives in the domain packages."""

from __future__ import annotations

from chalice.app import Chalice, CORSConfig

from chalicelib.platform import logs
from chalicelib.platform.http import install_middleware
from chalicelib.platform.web_security import (
    PAYPAL_PAGES,
    SecurityHeaders,
    content_security_policy,
    origin_of,
)
from chalicelib.routes import (
    auth,
    catalogue,
    lists,
    operations,
    pages,
    payments,
    profiles,
    uploads,
    viewing,
)
from chalicelib.routes import telemetry as telemetry_routes
from chalicelib.routes import workers as worker_routes
from chalicelib.routes.common import bind
from chalicelib.routes.root import resources, services, settings
from chalicelib.web.errors import page_errors

__all__ = ["app", "resources", "services", "settings"]

app = Chalice(app_name="notflix", configure_logs=False)
logs.use_for(app, settings.log_level)
logs.install_event_ids(app)  # middleware first: Chalice wraps each handler as it registers
if settings.cors_origins:
    # Preflights (answered by API Gateway) name the first origin; the middleware then echoes
    # whichever allowlisted origin made the actual request.
    app.api.cors = CORSConfig(allow_origin=settings.cors_origins[0], allow_credentials=True,
                              allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
                              max_age=600)
install_middleware(app, SecurityHeaders(
    csp=content_security_policy([settings.aws_endpoint_url or "https://*.amazonaws.com",
                                 origin_of(settings.image_base_url)],
                                [*PAYPAL_PAGES, origin_of(settings.paypal_base_url)]),
    cors_origins=settings.cors_origins, https=not settings.local),
    html_errors=page_errors(lambda request: services.guard.authenticate(request)))
bind(app)
for routes in (auth, profiles, payments, catalogue, viewing, lists, uploads, operations,
               pages, worker_routes, telemetry_routes):
    app.register_blueprint(routes.bp)
