"""Read the mail moto's SES accepted, as LocalStack's `GET /_aws/ses` does.

Tests read account mail (welcome, password reset) from the emulator. moto's only way to see
it is `/moto-api/data.json`, which dumps every model of every service and fails (500) as soon
as one of them cannot be dumped, for example an S3 key whose bucket is gone (`MissingBucket`).
This endpoint reads the SES backend alone and answers in LocalStack's shape, so the same test
client reads mail from either emulator:

    GET /_aws/ses[?email=<sender>]  ->  {"messages": [{"Id", "Region", "Source",
        "Destination": {"ToAddresses": [...]}, "Subject", "Body": {"text_part": ...}}]}

LocalStack filters `email` by the sender; so does this.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

PATH = "/_aws/ses"
_installed = False

StartResponse = Callable[..., Any]


def _messages(sender: str | None) -> Iterator[dict[str, Any]]:
    from moto.ses.models import Message, ses_backends

    for account_id, regions in ses_backends.items():
        for region, backend in regions.items():
            for message in list(backend.sent_messages):
                if not isinstance(message, Message):
                    continue  # templated and raw mail have no subject and body to show
                if sender is not None and message.source != sender:
                    continue
                yield {"Id": message.id, "Region": region, "AccountId": account_id,
                       "Source": message.source, "Destination": message.destinations,
                       "Subject": message.subject, "Body": {"text_part": message.body}}


def mailbox(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI answer to `GET /_aws/ses`."""
    if environ.get("REQUEST_METHOD", "GET") != "GET":
        start_response("405 Method Not Allowed", [("Allow", "GET")])
        return [b""]
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    sender = query.get("email", [None])[0]
    body = json.dumps({"messages": list(_messages(sender))}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


def install() -> None:
    """Answer `/_aws/ses` before moto's dispatcher looks for a service."""
    global _installed
    if _installed:
        return
    _installed = True
    original = DomainDispatcherApplication.__call__

    def dispatch(self: DomainDispatcherApplication, environ: dict[str, Any],
                 start_response: StartResponse) -> Any:
        if environ.get("PATH_INFO") == PATH:
            return mailbox(environ, start_response)
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]
