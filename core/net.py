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
