"""A catalogue server for harvest tests: a thread running http.server on 127.0.0.1, answering
the routes a test gives it (fixed bodies, CKAN package_search over a list, or handlers that
misbehave: drip slowly, send without end)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures"

Handler = Callable[[BaseHTTPRequestHandler, dict[str, list[str]]], None]


def send(
    handler: BaseHTTPRequestHandler, body: bytes, content_type: str, status: int = 200
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def static(body: bytes | str, content_type: str, status: int = 200) -> Handler:
    data = body.encode() if isinstance(body, str) else body

    def handle(handler: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        send(handler, data, content_type, status)

    return handle


def ckan_search(packages: list[dict[str, Any]], *, ignore_start: bool = False) -> Handler:
    """package_search over ``packages`` with CKAN's rows/start paging and envelope."""

    def handle(handler: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        rows = int(query.get("rows", ["10"])[0])
        start = 0 if ignore_start else int(query.get("start", ["0"])[0])
        ordered = sorted(packages, key=lambda p: str(p.get("id") if isinstance(p, dict) else p))
        body = {
            "help": "http://127.0.0.1/api/3/action/help_show?name=package_search",
            "success": True,
            "result": {"count": len(packages), "sort": "id asc", "facets": {},
                       "search_facets": {}, "results": ordered[start : start + rows]},
        }  # fmt: skip
        send(handler, json.dumps(body).encode(), "application/json;charset=utf-8")

    return handle


class CatalogueServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                requests.append(self.path)
                route = routes.get(parts.path)
                if route is None:
                    send(self, b"not found", "text/plain", 404)
                    return
                # The harvester may hang up, as it should past a limit.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self, parse_qs(parts.query))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> CatalogueServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
