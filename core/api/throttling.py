"""Rate limits per caller: per OAuth2 client, per user, per address for anonymous callers.

Every request is counted in a fixed window in Redis that opens with the caller's first request,
in one round trip (SET NX EX, INCR and TTL in a MULTI pipeline). Redis holds nothing that must
not be lost: while it does not answer, requests pass (fail open) and a warning is logged once a
minute (``passerelle.ratelimit``). Without Redis
(``RATE_LIMIT_REDIS_URL`` empty: local use, the test suite) the Django cache counts instead.

Each throttled response says where the caller stands, in the IETF draft's fields
(draft-ietf-httpapi-ratelimit-headers: ``RateLimit-Policy`` and ``RateLimit``) and in the older
``RateLimit-Limit``/``-Remaining``/``-Reset`` trio that many clients read; the throttle records
the numbers on the request and :class:`RateLimitHeadersMiddleware` writes them.

The caller is read from what DRF authenticated, never from anything the client chose: its
address comes from ``core.net.client_ip``, so a forged X-Forwarded-For gets no fresh budget.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from rest_framework.throttling import BaseThrottle

from core.net import client_ip

logger = logging.getLogger("passerelle.ratelimit")

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Caller:
    """Who a request counts against: ``client`` (an OAuth2 application), ``user`` or ``ip``."""

    kind: str
    ident: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ident}"


def caller_of(request) -> Caller:
    """The caller of a DRF request, as DRF authenticated it. A partner's token (django-oauth-
    toolkit sets ``request.auth`` to an AccessToken) counts against its client, whichever service
    user it acts as; anyone else signed in against their account; the rest against their
    address as this deployment can vouch for it."""
    application_id = getattr(getattr(request, "auth", None), "application_id", None)
    if application_id is not None:
        return Caller("client", str(application_id))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Caller("user", str(user.pk))
    django_request = getattr(request, "_request", request)
    return Caller("ip", client_ip(django_request) or "unknown")


# Which DEFAULT_THROTTLE_RATES entry applies to each kind of caller.
RATE_SCOPES = {"client": "client", "user": "user", "ip": "anon"}


def rate_from_settings(caller: Caller) -> str | None:
    """The default ``THROTTLE_RATE_FOR_CALLER``: the rate of the caller's kind from
    ``DEFAULT_THROTTLE_RATES`` (anon, user, client). A deployment that gives one partner client
    more room points the setting at its own function, which may call this one for the rest."""
    return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(RATE_SCOPES[caller.kind])


def parse_rate(rate: str) -> tuple[int, int]:
    """``"300/minute"`` -> (300, 60). The unit is read from its first letter, as DRF does."""
    count, _, period = rate.partition("/")
    try:
        return int(count), PERIODS[period.strip()[:1].lower()]
    except (KeyError, ValueError):
        raise ValueError(
            f"Invalid rate {rate!r}: use '<number>/<second|minute|hour|day>'."
        ) from None


@dataclass(frozen=True)
class RateLimitState:
    """Where a caller stands in one policy after this request."""

    policy: str
    limit: int
    window: int
    remaining: int
    reset: int


# --- counting ---------------------------------------------------------------------------------

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _redis(url: str) -> redis.Redis:
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            # Short timeouts: a Redis that does not answer must not hold a request.
            client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
            _clients[url] = client
        return client


def window_hit(key: str, window: int, *, now: float | None = None) -> tuple[int, int]:
    """Count one request in ``key``'s window of ``window`` seconds, which opens with the
    caller's first request (not on the clock's minute, so a burst is never split in two); answer
    the count so far and the seconds until the window closes. Raises if the store is down."""
    bucket = f"ratelimit:{key}:{window}"
    url = getattr(settings, "RATE_LIMIT_REDIS_URL", "")
    if url:
        # One round trip: open the window if there is none, count, and read when it closes.
        pipe = _redis(url).pipeline(transaction=True)
        pipe.set(bucket, 0, ex=window, nx=True)
        pipe.incr(bucket)
        pipe.ttl(bucket)
        _, count, ttl = pipe.execute()
        return int(count), int(ttl) if ttl and ttl > 0 else window
    now = time.time() if now is None else now
    cache.add(f"{bucket}:opened", now, timeout=window)
    opened = cache.get(f"{bucket}:opened", now)
    if cache.add(bucket, 1, timeout=window):
        count = 1
    else:
        try:
            count = int(cache.incr(bucket))
        except ValueError:  # the window closed between add and incr
            cache.set(bucket, 1, timeout=window)
            count = 1
    return count, max(1, math.ceil(opened + window - now))


def _record(request, state: RateLimitState) -> None:
    """Keep the tightest policy on the Django request, for the response headers."""
    django_request = getattr(request, "_request", request)
    current: RateLimitState | None = getattr(django_request, "rate_limit", None)
    if current is None or state.remaining < current.remaining:
        django_request.rate_limit = state


class RateLimitThrottle(BaseThrottle):
    """A fixed window per (policy, caller), failing open when the store does not answer."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def rate_and_policy(self, request, view, caller: Caller) -> tuple[str | None, str]:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        caller = caller_of(request)
        rate, policy = self.rate_and_policy(request, view, caller)
        if not rate:
            return True
        limit, window = parse_rate(rate)
        try:
            count, reset = window_hit(f"{policy}:{caller.key}", window)
        except (redis.RedisError, OSError) as exc:
            logger.warning("rate limits not counted, the store does not answer: %s", exc)
            return True
        _record(request, RateLimitState(policy, limit, window, max(0, limit - count), reset))
        if count > limit:
            self._wait = reset
            return False
        return True

    def wait(self) -> int | None:
        return self._wait


def _rate_hook() -> Callable[[Caller], str | None]:
    path = getattr(settings, "THROTTLE_RATE_FOR_CALLER", "core.api.throttling.rate_from_settings")
    return import_string(path)


class CallerRateThrottle(RateLimitThrottle):
    """Every view's default: one budget per caller across the API, its rate from
    ``THROTTLE_RATE_FOR_CALLER`` (by default THROTTLE_CLIENT, THROTTLE_USER, THROTTLE_ANON)."""

    def rate_and_policy(self, request, view, caller: Caller) -> tuple[str | None, str]:
        return _rate_hook()(caller), RATE_SCOPES[caller.kind]


class ScopedRateThrottle(RateLimitThrottle):
    """A budget of its own for a view's ``throttle_scope`` (the sign-in ``token`` endpoint),
    per caller, with the scope's rate from ``DEFAULT_THROTTLE_RATES``."""

    def rate_and_policy(self, request, view, caller: Caller) -> tuple[str | None, str]:
        scope = getattr(view, "throttle_scope", None)
        if not scope:
            return None, ""
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope), scope


# --- the response headers ------------------------------------------------------------------


def rate_limit_headers(state: RateLimitState) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{state.policy}";q={state.limit};w={state.window}',
        "RateLimit": f'"{state.policy}";r={state.remaining};t={state.reset}',
        "RateLimit-Limit": str(state.limit),
        "RateLimit-Remaining": str(state.remaining),
        "RateLimit-Reset": str(state.reset),
    }


class RateLimitHeadersMiddleware:
    """Writes the rate-limit fields on every response a throttle counted, 429s included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        state: RateLimitState | None = getattr(request, "rate_limit", None)
        if state is not None:
            for name, value in rate_limit_headers(state).items():
                response[name] = value
        return response
