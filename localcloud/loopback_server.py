"""A threaded HTTP server on 127.0.0.1 for the local stand-ins of outside services."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackServer:
    """Serves `handler_class()` on 127.0.0.1:`port` (0 picks a free port) in a thread."""

    thread_name = "loopback-server"

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self._server: ThreadingHTTPServer | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _bind(self) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler_class())
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        return server

    def start(self) -> Self:
        # A short poll keeps `stop` quick: shutdown waits for the loop to notice.
        threading.Thread(target=self._bind().serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True, name=self.thread_name).start()
        return self

    def serve_forever(self) -> None:
        self._bind().serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
