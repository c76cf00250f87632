"""A publisher's file server for tests: a real HTTP server on 127.0.0.1 in a thread, whose routes
serve bytes, redirect, stall or lie about their length. Stopped when the test ends."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    location: str = ""  # a redirect's target
    delay: float = 0.0  # seconds before the answer starts
    send_length: bool = True  # False: no Content-Length, the body ends when the connection does


@dataclass
class HttpSource:
    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def serve(self, path: str, **route) -> str:
        self.routes[path] = Route(**route)
        return self.url(path)


@contextmanager
def http_source() -> Iterator[HttpSource]:
    source = HttpSource(base_url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            source.hits[self.path] = source.hits.get(self.path, 0) + 1
            route = source.routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.delay:
                time.sleep(route.delay)
            self.send_response(route.status)
            if route.location:
                self.send_header("Location", route.location)
            if route.send_length:
                self.send_header("Content-Length", str(len(route.body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            # The client may stop reading, as it should past a limit.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)

        def log_message(self, *args) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    source.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield source
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
