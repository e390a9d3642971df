"""The browser tests' fixtures (Chromium, a page per test, a pipeline-encoded title)."""

from tests.integration.chalicelib.web.test_browser import (  # noqa: F401 - fixtures
    browser,
    encoded_title,
    encoder,
    page,
)
