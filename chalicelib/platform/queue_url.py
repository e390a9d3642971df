"""A queue's URL, looked up on first use: a cold start that sends nothing pays nothing."""

from __future__ import annotations

from collections.abc import Callable


class LazyQueueUrl:
    def __init__(self, url: str | Callable[[], str]) -> None:
        self._url = url

    def get(self) -> str:
        if callable(self._url):
            self._url = self._url()
        return self._url
