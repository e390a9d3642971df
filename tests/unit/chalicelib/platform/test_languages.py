"""Subtitle languages are named, not coded."""

from __future__ import annotations

import pytest

from chalicelib.platform.languages import language_name


@pytest.mark.parametrize(("code", "name"), [
    ("en", "English"), ("FR", "French"), ("pt-BR", "Portuguese (BR)"), ("pt_br", "Portuguese (BR)"),
    ("ger", "German"), ("deu", "German"), ("zz", "zz"), ("", "Unknown language"),
    (None, "Unknown language")])
def test_codes_become_language_names(code: str | None, name: str) -> None:
    assert language_name(code) == name
