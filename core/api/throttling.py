"""DRF's throttles, keyed by ``core.net.client_ip`` (never a client-chosen X-Forwarded-For)."""

from __future__ import annotations

from rest_framework import throttling

from core.net import client_ip


class _TrustedClientIp:
    def get_ident(self, request) -> str:
        return client_ip(request._request if hasattr(request, "_request") else request) or ""


class AnonRateThrottle(_TrustedClientIp, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_TrustedClientIp, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_TrustedClientIp, throttling.ScopedRateThrottle):
    pass
