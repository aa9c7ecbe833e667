"""A cache outage is not a site outage: a real Redis stopped and started under load.

gunicorn serves a site whose ``REDIS_URL`` is a Redis server of this test's own (a separate
``redis-server`` process on a free port of 127.0.0.1). While clients request pages without
pause, Redis is killed, left down, and started again on the same port: every response must be
a page, ``/healthz`` must say the cache is down without a 503, the login throttle must keep
counting (it is in the database), and the site must use the cache again once it is back.
"""

import shutil
import subprocess
import threading
import time

import pytest
import redis as redis_client

from bench.servers import Gunicorn, free_port, redis_up
from tests.served import fetch
from tests.site.test_security import Browser

pytestmark = pytest.mark.django_db(transaction=True)
PAGES = ["/", "/guides/c", "/guides/g", "/tags", "/feed.xml", "/sitemap.xml", "/search?q=first"]


class RedisProcess:
    def __init__(self, port):
        self.port, self.process = port, None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not redis_up(port=self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=10)


class Load:
    """Clients requesting pages in a loop until stopped; every status is kept."""

    def __init__(self, base, clients=4):
        self.base, self.statuses, self.stop = base, [], threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(clients)]

    def run(self, n):
        i = n
        while not self.stop.is_set():
            status, _, _ = fetch(self.base + PAGES[i % len(PAGES)])
            self.statuses.append(status)
            i += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def health(base):
    import json

    status, _, body = fetch(base + "/healthz")
    return status, json.loads(body)


def test_pages_keep_answering_while_redis_goes_down_and_comes_back(served):
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (apt-get install redis-server)")
    _, env = served
    redis = RedisProcess(free_port())
    redis.start()
    env = {**env, "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0"}
    try:
        with Gunicorn(env, workers=2) as server:
            assert health(server.url)[1]["status"] == "ok"
            with Load(server.url) as load:
                time.sleep(1)
                redis.kill()
                time.sleep(3)
                status, report = health(server.url)
                assert status == 200 and report["status"] == "degraded"
                assert report["cache"] == {"ok": False, "error": "unavailable"}
                assert report["database"]["ok"] is True
                answers = [Browser(server.url).login("editor", "wrong") for _ in range(6)]
                assert answers[-1] == "throttled"  # the throttle holds without the cache
                time.sleep(1)
                redis.start()
                deadline = time.monotonic() + 20
                while health(server.url)[1]["status"] != "ok":
                    assert time.monotonic() < deadline, "the cache was not picked up again"
                    time.sleep(0.5)
                time.sleep(1)
            assert load.statuses and set(load.statuses) == {200}, sorted(set(load.statuses))
            # Each worker tries Redis again within its back-off (5 s): new pages are stored.
            deadline, n = time.monotonic() + 20, 0
            while not redis_client.Redis(port=redis.port).keys("*page*"):
                assert time.monotonic() < deadline, "pages are not cached in Redis again"
                assert fetch(server.url + f"/search?q=cat{n}")[0] == 200
                n += 1
                time.sleep(0.2)
    finally:
        if redis.process.poll() is None:
            redis.kill()
