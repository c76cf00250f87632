"""HTTP requests to URLs that callers give us (files by URL, harvest sources, webhooks).

A URL checked when it arrived may resolve elsewhere when it is fetched (DNS rebinding), and a
public server may redirect to an internal one. So the check is made where it cannot be dodged:
on the socket, after it connected, against the address it actually reached. Redirects are
followed by hand, a few at most, each hop checked again. Proxies from the environment are
ignored (the address reached would be the proxy's).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from core.net import UnsafeURLError, address_is_public, private_addresses_allowed, url_check_public

USER_AGENT = "Passerelle (+https://github.com/passerelle; file fetcher)"
_REDIRECTS = {301, 302, 303, 307, 308}


def _check_peer(connection: HTTPConnection, sock) -> None:
    try:
        address = sock.getpeername()[0]
    except OSError:
        return  # not connected after all: the request fails on its own
    if not address_is_public(address):
        sock.close()
        raise UnsafeURLError(
            f"The host '{connection.host}' connected to a private or reserved address; "
            "only public addresses are fetched."
        )


class _PublicHTTPConnection(HTTPConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _PublicHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _PublicHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPConnectionPool,
            "https": _PublicHTTPSConnectionPool,
        }


def public_http_session(*, allow_private: bool | None = None) -> requests.Session:
    """A requests session whose every connection must reach a public address (unless
    ``allow_private``, by default FETCH_ALLOW_PRIVATE_ADDRESSES) and that never uses proxies or
    .netrc from the environment."""
    if allow_private is None:
        allow_private = private_addresses_allowed()
    session = requests.Session()
    session.trust_env = False
    session.headers["User-Agent"] = USER_AGENT
    # The bytes as stored at the source, which is what a declared checksum covers.
    session.headers["Accept-Encoding"] = "identity"
    adapter = HTTPAdapter(max_retries=0) if allow_private else _PublicAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class FetchError(Exception):
    """A fetch that did not give the bytes. ``transient``: worth trying again later (the network,
    a timeout, the server's 5xx or 429); otherwise the source itself is wrong."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    connect_timeout: float
    read_timeout: float
    deadline_seconds: float
    max_redirects: int


@contextmanager
def fetch_stream(url: str, *, limits: FetchLimits) -> Iterator[Iterator[bytes]]:
    """Open ``url`` (GET, redirects followed by hand and checked) and yield an iterator over its
    body in chunks. Raises FetchError when the answer is not a 200, when it announces or sends
    more than ``limits.max_bytes``, or when the whole exchange outlasts the deadline."""
    deadline = time.monotonic() + limits.deadline_seconds
    session = public_http_session()
    response = None
    try:
        current = url
        for _hop in range(limits.max_redirects + 1):
            try:
                url_check_public(current)
            except UnsafeURLError as exc:
                raise FetchError(str(exc), transient=False) from None
            try:
                response = session.get(
                    current,
                    stream=True,
                    allow_redirects=False,
                    timeout=(limits.connect_timeout, limits.read_timeout),
                )
            except UnsafeURLError as exc:
                raise FetchError(str(exc), transient=False) from None
            except requests.RequestException as exc:
                cause = exc
                while cause is not None:  # urllib3 wraps the peer check's refusal
                    if isinstance(cause, UnsafeURLError):
                        raise FetchError(str(cause), transient=False) from None
                    cause = cause.__context__ or cause.__cause__
                raise FetchError(_describe(exc), transient=True) from None
            if response.status_code not in _REDIRECTS:
                break
            location = response.headers.get("Location")
            response.close()
            if not location:
                raise FetchError("The server redirected without a Location.", transient=False)
            current = urljoin(current, location)
            if time.monotonic() > deadline:
                raise FetchError("The fetch took too long.", transient=True)
        else:
            raise FetchError(
                f"The server redirected more than {limits.max_redirects} times.", transient=False
            )
        status = response.status_code
        if status != 200:
            transient = status >= 500 or status in (408, 429)
            raise FetchError(f"The server answered HTTP {status}.", transient=transient)
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limits.max_bytes:
            raise FetchError(
                f"The server announces {int(declared):,} bytes; at most "
                f"{limits.max_bytes:,} are accepted.",
                transient=False,
            )
        yield _bounded_chunks(response, limits.max_bytes, deadline)
    finally:
        if response is not None:
            response.close()
        session.close()


def _bounded_chunks(response: requests.Response, max_bytes: int, deadline: float):
    received = 0
    try:
        for chunk in response.iter_content(chunk_size=256 * 1024):
            received += len(chunk)
            if received > max_bytes:
                raise FetchError(
                    f"The server sent more than {max_bytes:,} bytes; the rest was not read.",
                    transient=False,
                )
            if time.monotonic() > deadline:
                raise FetchError("The fetch took too long.", transient=True)
            yield chunk
    except requests.RequestException as exc:
        raise FetchError(_describe(exc), transient=True) from None


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "The server did not answer in time."
    if isinstance(exc, requests.ConnectionError):
        return "The server could not be reached."
    return f"The request failed ({type(exc).__name__})."


# --- one bounded POST (webhooks) ----------------------------------------------------------------


@dataclass(frozen=True)
class PostOutcome:
    """What the server answered: its status and the first bytes of its body (decoded leniently)."""

    status: int
    excerpt: str


def post_bounded(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str],
    allow_private: bool,
    connect_timeout: float,
    deadline_seconds: float,
    max_response_bytes: int = 1024,
) -> PostOutcome:
    """POST ``body`` to ``url`` once, never following a redirect, within a hard deadline.

    The connection must reach a public address unless ``allow_private`` (the socket's peer is
    checked after connecting, so DNS rebinding gains nothing). ``deadline_seconds`` bounds the
    whole exchange: a watchdog shuts the socket when it passes, so a server that trickles its
    status line or headers a byte at a time cannot hold the caller (requests' timeouts apply to
    each read, not to the whole). At most ``max_response_bytes`` of the answer are read.

    Raises FetchError (always ``transient``: the caller retries) when no answer came.
    """
    try:
        url_check_public(url, allow_private=allow_private)
    except UnsafeURLError as exc:
        raise FetchError(str(exc), transient=True) from None
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    raw_sockets: list[socket.socket] = []
    expired = threading.Event()

    def connect(address, timeout=None, source_address=None, *args, **kwargs):
        sock = socket.create_connection(address, timeout, source_address)
        raw_sockets.append(sock)
        if not allow_private and not address_is_public(sock.getpeername()[0]):
            sock.close()
            raise UnsafeURLError(
                f"The host '{parts.hostname}' connected to a private or reserved address; "
                "only public addresses are called."
            )
        if expired.is_set():
            sock.close()
        return sock

    def shut() -> None:
        expired.set()
        for sock in raw_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    if parts.scheme.lower() == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname,
            parts.port,
            timeout=connect_timeout,
            context=ssl.create_default_context(),
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=connect_timeout)
    connection._create_connection = connect  # type: ignore[attr-defined]
    watchdog = threading.Timer(deadline_seconds, shut)
    watchdog.daemon = True
    watchdog.start()
    started = time.monotonic()
    try:
        connection.connect()
        remaining = deadline_seconds - (time.monotonic() - started)
        if connection.sock is not None and remaining > 0:
            connection.sock.settimeout(remaining)
        connection.putrequest("POST", target, skip_accept_encoding=True)
        for name, value in {
            "User-Agent": USER_AGENT.replace("file fetcher", "webhooks"),
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            **headers,
        }.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        excerpt = response.read(max_response_bytes)
        if expired.is_set():  # the watchdog cut it short: what was read is not an answer
            raise FetchError(
                f"No complete answer within {deadline_seconds:g} seconds.", transient=True
            )
        return PostOutcome(response.status, excerpt.decode("utf-8", errors="replace"))
    except UnsafeURLError as exc:
        raise FetchError(str(exc), transient=True) from None
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise FetchError(
                f"No complete answer within {deadline_seconds:g} seconds.", transient=True
            ) from None
        if isinstance(exc, TimeoutError | socket.timeout):
            raise FetchError("The server did not answer in time.", transient=True) from None
        if isinstance(exc, ConnectionRefusedError):
            raise FetchError("The connection was refused.", transient=True) from None
        if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
            raise FetchError(
                "The server closed the connection without an answer.", transient=True
            ) from None
        if isinstance(exc, socket.gaierror):
            raise FetchError(
                f"The host '{parts.hostname}' does not resolve.", transient=True
            ) from None
        raise FetchError(
            f"The request failed ({type(exc).__name__}: {str(exc)[:200]}).", transient=True
        ) from None
    finally:
        watchdog.cancel()
        connection.close()
