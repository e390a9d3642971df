"""Headers every response carries: CSP, no sniffing, referrer policy, framing, caching, CORS."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from chalice.app import Request, Response

#: Responses under these paths hold personal data or tokens: never cached anywhere.
NO_STORE_PREFIXES = ("/api/auth", "/api/me", "/api/admin", "/webhooks", "/api/subscriptions")


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased; empty when it has none."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


#: Where a subscribe form's redirect (to PayPal's approval page) may go.
PAYPAL_PAGES = ("https://www.paypal.com", "https://www.sandbox.paypal.com")


def content_security_policy(media_origins: Iterable[str],
                            form_origins: Iterable[str] = PAYPAL_PAGES) -> str:
    media = " ".join(sorted(set(o for o in media_origins if o)))
    forms = " ".join(sorted(set(o for o in form_origins if o)))
    return "; ".join([
        "default-src 'self'",
        f"img-src 'self' data: blob: {media}".strip(),
        f"media-src 'self' blob: {media}".strip(),
        f"connect-src 'self' {media}".strip(),
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action 'self' {forms}".strip(),
        "frame-ancestors 'none'",
    ])


class SecurityHeaders:
    def __init__(self, *, csp: str, cors_origins: Iterable[str], https: bool) -> None:
        self.csp = csp
        self.cors_origins = frozenset(o.rstrip("/") for o in cors_origins)
        self.https = https

    def apply(self, request: Request, response: Response, path: str) -> None:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", self.csp)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["X-Frame-Options"] = "DENY"
        if self.https:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if path.startswith(NO_STORE_PREFIXES):
            headers["Cache-Control"] = "no-store"
        origin = (request.headers.get("origin") or "").rstrip("/")
        if origin and origin in self.cors_origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Credentials"] = "true"
            headers["Vary"] = "Origin"
        else:  # closed by default: never echo an origin that is not on the allowlist
            headers.pop("Access-Control-Allow-Origin", None)
