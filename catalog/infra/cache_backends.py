"""A Redis cache that may go away without taking the site with it.

The cache only ever holds copies (rendered pages, session copies whose originals are in the
database), so while Redis is unreachable every read is a miss and every write is dropped:
pages are rendered without it, sessions are read from the database. After a failure the
backend leaves Redis alone for ``RETRY_SECONDS`` (so requests do not each wait for a
connection that is refused or times out), then tries again, so the site picks the cache up
by itself when Redis returns. ``check()`` is the one call that raises, for ``/healthz``.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
_ERRORS = (RedisError, OSError)
_down_until = {}  # LOCATION -> monotonic time; shared by the threads of a process
_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = str(server)

    def _available(self):
        return time.monotonic() >= _down_until.get(self._location, 0)

    def _failed(self, exc):
        with _lock:
            first = self._available()
            _down_until[self._location] = time.monotonic() + RETRY_SECONDS
        if first:
            logger.warning("cache unavailable, serving without it: %s", exc)

    def _call(self, fallback, method, *args, **kwargs):
        if not self._available():
            return fallback
        try:
            return method(*args, **kwargs)
        except _ERRORS as exc:
            self._failed(exc)
            return fallback

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call(False, super().has_key, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call(None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(list(data), super().set_many, data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().add, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        self._call(None, super().delete_many, keys, version)

    def clear(self):
        return self._call(False, super().clear)

    def check(self):
        """Store and read back a value, raising if Redis does not answer (for /healthz)."""
        try:
            super().set("guides:healthz", "1", 10)
            if super().get("guides:healthz") != "1":
                raise RuntimeError("the cache did not return what was stored")
        except _ERRORS as exc:
            self._failed(exc)
            raise
        with _lock:
            _down_until.pop(self._location, None)
