"""The client's address, as far as this deployment can vouch for it.

``X-Forwarded-For`` is written by whoever sends the request: a client can put any address in
it. Only the entries appended by proxies we run can be believed, so the address is read
``NUM_PROXIES`` entries from the right (0 when Passerelle is reached directly: the socket's
address; 1 behind the shipped nginx, which appends the address it saw). Throttling, sign-in
lockouts and download records all use this one function.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "NUM_PROXIES", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    # The nearest trusted proxy appended the last entry; with N proxies, the N-th from the right
    # is the address the outermost one of ours saw. Entries to its left are the client's words.
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


# --- outgoing requests: where the server may be sent -------------------------------------------


class BlockedDestinationError(ValueError):
    """A URL the server must not fetch: not http(s), no host, or an address that is not public."""


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Reachable on the public internet: not private, loopback, link-local (cloud metadata at
    169.254.169.254), multicast, reserved or unspecified. An IPv4-mapped IPv6 address is judged
    by its IPv4 address."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


def check_outgoing_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse a URL the server should not fetch on someone's behalf (a harvest source, a
    partner's endpoint): only http(s), and every address its host resolves to must be public
    unless ``allow_private``. Raises BlockedDestinationError with the reason.

    The check resolves the name now; the HTTP client resolves it again when it connects, so a
    name whose answer changes in between (DNS rebinding) is not caught here. Redirects must be
    followed by hand and each target checked."""
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedDestinationError(f"Not a valid URL: {exc}.") from None
    if parts.scheme not in ("http", "https"):
        raise BlockedDestinationError("Only http and https URLs can be fetched.")
    host = parts.hostname
    if not host:
        raise BlockedDestinationError("The URL has no host.")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError) as exc:
        raise BlockedDestinationError(f"The host '{host}' could not be resolved ({exc}).") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not is_public_address(address):
            raise BlockedDestinationError(
                f"The host '{host}' resolves to {address}, which is not a public address."
            )
