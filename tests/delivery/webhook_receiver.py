"""A webhook receiver for tests: a real HTTP server on 127.0.0.1, in a thread, that records what
it receives and answers as told (ok, 500, hang, close the connection, redirect), and can be
stopped and started again on the same port (a receiver that is down for a while)."""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        # Answers to give, in turn; when empty, ``default``.
        self.script: deque[str] = deque()
        self.default = "ok"
        self.release = threading.Event()  # ends "hang" answers when the test stops
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/passerelle"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                mode = receiver.script.popleft() if receiver.script else receiver.default
                if mode == "ok":
                    receiver.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    self._answer(204)
                elif mode == "500":
                    self._answer(500, b"boom " * 400)
                elif mode == "redirect":
                    self.send_response(307)
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif mode == "close":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                elif mode == "hang":
                    receiver.release.wait(30)
                    self.close_connection = True
                elif mode == "trickle":  # a status line, then headers one byte at a time
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    self.wfile.flush()
                    for _ in range(300):
                        if receiver.release.wait(0.1):
                            break
                        try:
                            self.wfile.write(b"X")
                            self.wfile.flush()
                        except OSError:
                            break
                    self.close_connection = True

            def _answer(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.release.set()
        self.stop()

    def types(self) -> list[str]:
        import json

        return [json.loads(body)["type"] for _, body in self.received]


def wait_for(condition, timeout: float = 30.0, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()
