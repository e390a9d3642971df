"""The stylesheet's colour pairs meet WCAG 2.1 AA contrast (4.5:1 for text)."""

from __future__ import annotations

import re

import pytest

from chalicelib.web.static import STATIC

CSS = (STATIC / "app.css").read_text()
VARIABLES = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("text", "background"), [
    ("text", "bg"), ("text", "panel"), ("muted", "bg"), ("muted", "panel"), ("link", "bg"),
    ("link", "panel"), ("accent-text", "accent"),
])
def test_text_colours_meet_aa(text: str, background: str) -> None:
    assert contrast(VARIABLES[text], VARIABLES[background]) >= 4.5


def test_the_focus_ring_stands_out() -> None:
    assert contrast(VARIABLES["focus"], VARIABLES["bg"]) >= 3.0  # non-text contrast (1.4.11)
