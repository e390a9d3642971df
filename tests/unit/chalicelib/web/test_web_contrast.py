"""The stylesheet's colour pairs meet WCAG 2.1 AA contrast (4.5:1 for text)."""

from __future__ import annotations

import re

import pytest

from chalicelib.platform.colours import contrast
from chalicelib.web.static import STATIC

CSS = (STATIC / "app.css").read_text()
VARIABLES = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))


@pytest.mark.parametrize(("text", "background"), [
    ("text", "bg"), ("text", "panel"), ("muted", "bg"), ("muted", "panel"), ("link", "bg"),
    ("link", "panel"), ("accent-text", "accent"),
])
def test_text_colours_meet_aa(text: str, background: str) -> None:
    assert contrast(VARIABLES[text], VARIABLES[background]) >= 4.5


def test_the_focus_ring_stands_out() -> None:
    assert contrast(VARIABLES["focus"], VARIABLES["bg"]) >= 3.0  # non-text contrast (1.4.11)
