"""``/healthz``: can this app server reach its database and its cache?

The database is required (503 without it); the cache is not (pages are rendered without it),
so a cache outage is reported as ``"degraded"`` with 200.
"""

import logging
import time

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _probe(name, check):
    """``{"ok": True, "ms": …}``, or ``{"ok": False, "error": "unavailable"}``.

    The error's own text names users, hosts and ports: it goes to the log, not to whoever
    asked (``/healthz`` answers anyone).
    """
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure of the dependency is the answer, not a crash
        logger.error("healthz: %s unavailable: %s: %s", name, type(exc).__name__, exc)
        return {"ok": False, "error": "unavailable"}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database():
    """Reachable means a query answers, on a new connection if the kept one went stale."""
    for attempt in (1, 2):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            return
        except (OperationalError, InterfaceError):
            connection.close()
            if attempt == 2:
                raise


def _cache():
    # Redis (catalog.infra.cache_backends): its errors are otherwise misses
    if hasattr(cache, "check"):
        cache.check()
        return
    cache.set("guides:healthz", "1", 10)
    if cache.get("guides:healthz") != "1":
        raise RuntimeError("the cache did not return what was stored")


@never_cache
@require_safe
def healthz(request):
    """200 while this server can serve pages: with the cache down it still can (status
    "degraded"), so a load balancer keeps it in rotation; 503 when the database is down."""
    checks = {"database": _probe("database", _database), "cache": _probe("cache", _cache)}
    if not checks["database"]["ok"]:
        status, code = "unavailable", 503
    else:
        status, code = ("ok" if checks["cache"]["ok"] else "degraded"), 200
    return JsonResponse({"status": status, **checks}, status=code)
