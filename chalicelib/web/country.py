"""The viewer's country, for "best in your country" (kept free of heavy imports)."""

from __future__ import annotations


def viewer_country(headers: dict[str, str]) -> str:
    """CloudFront's viewer country, else the region of the first Accept-Language, else US."""
    from chalicelib.catalogue.titles.countries import country_name

    code = (headers.get("cloudfront-viewer-country") or "").upper()
    if not code:
        first = (headers.get("accept-language") or "").split(",")[0].strip()
        parts = first.replace("_", "-").split("-")
        code = parts[1].upper() if len(parts) > 1 else ""
    return code if len(code) == 2 and country_name(code) else "US"
