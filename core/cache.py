"""The Redis cache, failing open for locks too.

django-redis with IGNORE_EXCEPTIONS answers reads with the default and drops writes while Redis
is unreachable, but ``add`` then answers None, which callers read as "someone else holds it".
allauth's rate limits take a lock with ``cache.add`` before counting: with Redis down, every
sign-in, sign-up and password reset would be refused as rate-limited (429). Answering True keeps
them working, unthrottled, as DRF's throttles are; django-axes still locks sign-in failures
through the database.
"""

from __future__ import annotations

from typing import Any

from django_redis.cache import RedisCache


class FailOpenRedisCache(RedisCache):
    def add(self, *args: Any, **kwargs: Any) -> bool:
        added = super().add(*args, **kwargs)
        return True if added is None else added
