"""The browser and its tab, shared by every browser test of this folder."""

from tests.integration.chalicelib.web.test_browser import browser, page

__all__ = ["browser", "page"]
