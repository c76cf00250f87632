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


# --- outbound requests to addresses a caller gave us --------------------------------------------


class UnsafeURLError(ValueError):
    """A URL Passerelle must not fetch: not http(s), or its host is (or resolves to) an address
    inside the deployment's own networks. The message is safe to show to the caller."""


_SCHEMES = {"http": 80, "https": 443}


def address_is_public(address: str) -> bool:
    """True for an address on the public internet: not private, loopback, link-local, multicast,
    reserved, unspecified or shared (carrier-grade NAT), also when hidden in an IPv4-mapped IPv6
    address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def private_addresses_allowed() -> bool:
    return bool(getattr(settings, "FETCH_ALLOW_PRIVATE_ADDRESSES", False))


def url_check_public(url: str, *, resolve: bool = True, allow_private: bool | None = None) -> None:
    """Refuse (UnsafeURLError) a URL that is not http(s) with a host, carries credentials, or
    whose host resolves to any non-public address (every address is checked: one bad answer is
    enough to refuse). ``allow_private`` (by default ``FETCH_ALLOW_PRIVATE_ADDRESSES``) lifts the
    address rule (tests, closed networks). A check at input is not enough on its own (DNS can
    answer differently a second later): connections made through
    ``core.outbound.public_http_session`` check the address they reach.
    """
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"The URL cannot be read: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise UnsafeURLError("Only http and https URLs can be fetched.")
    if not parts.hostname:
        raise UnsafeURLError("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError("The URL must not carry a user name or password.")
    if allow_private is None:
        allow_private = private_addresses_allowed()
    if not resolve or allow_private:
        return
    try:
        answers = socket.getaddrinfo(
            parts.hostname, port or _SCHEMES[scheme], proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError):
        raise UnsafeURLError(f"The host '{parts.hostname}' does not resolve.") from None
    for *_, sockaddr in answers:
        if not address_is_public(sockaddr[0]):
            raise UnsafeURLError(
                f"The host '{parts.hostname}' resolves to a private or reserved address; "
                "only public addresses are fetched."
            )
