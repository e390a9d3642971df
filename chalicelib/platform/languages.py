"""Language names for codes (ISO 639-1 or 639-2/3, optionally with a region): "en" ->
"English", "pt-BR" -> "Portuguese (BR)". Unknown codes come back as given."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=512)
def language_name(code: str | None) -> str:
    if not code:
        return "Unknown language"
    import pycountry  # its data loads with the first lookup, off the import path

    base, _, region = code.replace("_", "-").partition("-")
    lowered = base.lower()
    found = None
    if len(lowered) == 2:
        found = pycountry.languages.get(alpha_2=lowered)
    elif len(lowered) == 3:
        found = (pycountry.languages.get(alpha_3=lowered)
                 or pycountry.languages.get(bibliographic=lowered))
    if found is None:
        return code
    name = str(getattr(found, "common_name", None) or found.name)
    return f"{name} ({region.upper()})" if region else name
