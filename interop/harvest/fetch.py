"""Fetching a harvest source's pages with every bound a hostile or broken server needs:
a connect and read timeout, a deadline for the whole run (a server that drips one byte a second
never trips a read timeout), a size limit read incrementally (a 10 GB body stops at the limit,
counted after decompression, so a gzip bomb stops too), a page limit, checked redirects, and no
private addresses unless the deployment allows them (checked on the name before each request
and, through ``core.outbound``'s session, on the address each connection actually reached, so a
name that changes its answer in between is caught too)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
from django.conf import settings

from core.net import UnsafeURLError, url_check_public
from core.outbound import public_http_session

MAX_REDIRECTS = 5
USER_AGENT = "Passerelle-harvester/1.0 (+https://github.com/passerelle)"


def _shut_down(response: requests.Response) -> None:
    """End a read blocked on this response's socket (called from a timer thread)."""
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class HarvestError(Exception):
    """The source as a whole could not be read; the run fails and nothing is applied."""


@dataclass
class FetchedPage:
    url: str
    content_type: str
    body: bytes


@dataclass
class Fetcher:
    """Fetches pages for one run; counts pages and keeps to the run's deadline."""

    max_pages: int
    max_page_bytes: int
    deadline: float  # time.monotonic() value
    connect_timeout: float
    read_timeout: float
    allow_private: bool
    pages: int = 0
    session: requests.Session | None = None

    def __post_init__(self) -> None:
        if self.session is None:
            self.session = public_http_session(allow_private=self.allow_private)

    @classmethod
    def for_source(cls, *, max_pages: int | None, deadline_seconds: int | None) -> Fetcher:
        return cls(
            max_pages=max_pages or settings.HARVEST_MAX_PAGES,
            max_page_bytes=settings.HARVEST_MAX_PAGE_BYTES,
            deadline=time.monotonic() + (deadline_seconds or settings.HARVEST_RUN_DEADLINE_SECONDS),
            connect_timeout=settings.HARVEST_CONNECT_TIMEOUT,
            read_timeout=settings.HARVEST_READ_TIMEOUT,
            allow_private=settings.HARVEST_ALLOW_PRIVATE_ADDRESSES,
        )

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def get(self, url: str, *, accept: str, params: dict[str, str] | None = None) -> FetchedPage:
        if self.pages >= self.max_pages:
            raise HarvestError(
                f"The source has more than {self.max_pages} pages (the limit); stopped there."
            )
        self.pages += 1
        for _ in range(MAX_REDIRECTS + 1):
            response = self._request(url, accept=accept, params=params)
            if response.is_redirect:
                location = response.headers.get("Location", "")
                response.close()
                url, params = urljoin(response.url, location), None
                continue
            return self._read(response)
        raise HarvestError(f"More than {MAX_REDIRECTS} redirects from {url}.")

    def _request(
        self, url: str, *, accept: str, params: dict[str, str] | None
    ) -> requests.Response:
        try:
            url_check_public(url, allow_private=self.allow_private)
        except UnsafeURLError as exc:
            raise HarvestError(f"Refused to fetch {url}: {exc}") from None
        remaining = self.remaining()
        if remaining <= 0:
            raise HarvestError("The run's deadline passed before the source was read in full.")
        try:
            return self.session.get(
                url,
                params=params,
                headers={"Accept": accept, "User-Agent": USER_AGENT},
                timeout=(min(self.connect_timeout, remaining), min(self.read_timeout, remaining)),
                allow_redirects=False,
                stream=True,
            )
        except UnsafeURLError as exc:
            raise HarvestError(f"Refused to fetch {url}: {exc}") from None
        except requests.Timeout:
            raise HarvestError(f"{url} did not answer in time.") from None
        except requests.RequestException as exc:
            cause = exc.__context__ or exc.__cause__
            while cause is not None:  # urllib3 wraps the connection's address refusal
                if isinstance(cause, UnsafeURLError):
                    raise HarvestError(f"Refused to fetch {url}: {cause}") from None
                cause = cause.__context__ or cause.__cause__
            raise HarvestError(f"{url} could not be fetched: {type(exc).__name__}.") from None

    def _read(self, response: requests.Response) -> FetchedPage:
        url = response.url
        with response:
            if response.status_code != 200:
                raise HarvestError(f"{url} answered HTTP {response.status_code}.")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_page_bytes:
                raise HarvestError(
                    f"{url} announces {int(declared)} bytes, more than the "
                    f"{self.max_page_bytes}-byte page limit."
                )
            # A server that drips bytes slower than the deadline but faster than the read
            # timeout: read1 returns what one read brought, so the deadline is checked after
            # every packet (each read itself bounded by the read timeout, and at the deadline
            # the socket is shut down so that a blocked read ends too).
            timer = threading.Timer(max(self.remaining(), 0.0), _shut_down, args=(response,))
            timer.daemon = True
            timer.start()
            chunks: list[bytes] = []
            size = 0
            try:
                while True:
                    if self.remaining() <= 0:
                        raise HarvestError(
                            f"The run's deadline passed while {url} was still sending."
                        )
                    chunk = response.raw.read1(64 * 1024, decode_content=True)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > self.max_page_bytes:
                        raise HarvestError(
                            f"{url} sent more than the {self.max_page_bytes}-byte page limit."
                        )
                    chunks.append(chunk)
            except HarvestError:
                raise
            except Exception as exc:  # urllib3 and the socket raise many kinds of errors
                if self.remaining() <= 0:
                    raise HarvestError(
                        f"The run's deadline passed while {url} was still sending."
                    ) from None
                raise HarvestError(f"{url} stopped sending ({type(exc).__name__}).") from None
            finally:
                timer.cancel()
            content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
            return FetchedPage(url=url, content_type=content_type.lower(), body=b"".join(chunks))
