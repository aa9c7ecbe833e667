"""Page benchmark: gunicorn on 127.0.0.1, each page type next to a static file of its size.

    python bench/pages_bench.py [--data-dir DIR] [--seconds 5] [--connections 16] [--workers 2]

Imports the collection into a temporary SQLite database (or DATABASE_URL), collects static
files, starts gunicorn with whitenoise, and for each page measures requests per second and
p50/p99 latency with wrk (Debian package ``wrk``) from a separate process. The baseline, in
the same run and from the same server, is a static file of the same size as the page served
by whitenoise. Pages are measured warm (the page cache on), as visitors meet them; cold
renders are bench/cold_bench.py's (query strings other than page, p and q do not make a new
cache entry, so they cannot be used to miss the cache from outside).
Load is bounded in time and sent to 127.0.0.1 only.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.servers import CORPUS, Gunicorn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def wrk(url, seconds, connections):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(errors.group(1)) if errors else 0


def _ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def discover_pages(base):
    """Page URLs of this collection: the largest category (first and last page), a guide."""
    listing = urllib.request.urlopen(base + "/guides").read().decode()
    counts = re.findall(
        r'href="(/guides/[^"]+)">.*?<span class="category-title">.*?'
        r'<p class="muted">(\d+) guide',
        listing,
        re.S,
    )
    category, count = max(counts, key=lambda c: int(c[1]))
    last = max(1, -(-int(count) // 48))
    page = urllib.request.urlopen(base + category).read().decode()
    guide = re.search(r'<a class="card-link" href="(/guides/[^"]+)"', page).group(1)
    return {
        "home": "/",
        "category": category,
        f"category p{last}": f"{category}?page={last}",
        "guide": guide,
        "search": "/search?q=cache",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(CORPUS))
    parser.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="benchmark a generated collection of N guides instead",
    )
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="guides-pages-"))
    if args.synthetic:
        args.data_dir = str(work / "data")
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "make_corpus.py"),
                str(args.synthetic),
                args.data_dir,
            ],
            check=True,
        )
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUIDES_DATA_DIR": str(Path(args.data_dir).resolve()),
        "SECURE_COOKIES": "0",
        "STATIC_ROOT": str(work / "static"),
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{work / 'pages.sqlite3'}")
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "-v0"],
        ["import_guides", "-v0", "--prune"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True)

    with Gunicorn(env, workers=args.workers) as server:
        base = server.url
        pages = discover_pages(base)
        rows = []
        for name, path in pages.items():
            body = urllib.request.urlopen(base + path).read()
            static_name = f"bench-{len(body)}.html"
            (work / "static" / static_name).write_bytes(b"x" * len(body))
            rows.append((name, path, len(body), static_name))
        server.reload()  # so whitenoise sees the baseline files
        print(
            f"{'page':<13}{'bytes':>8}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'static req/s':>14}{'ratio':>7}{'errors':>8}"
        )
        for name, path, size, static_name in rows:
            rps, p50, p99, errors = wrk(base + path, args.seconds, args.connections)
            s_rps, _, _, s_errors = wrk(
                f"{base}/static/{static_name}", args.seconds, args.connections
            )
            print(
                f"{name:<13}{size:>8}{rps:>9.0f}{p50:>8.1f}{p99:>8.1f}{s_rps:>14.0f}"
                f"{rps / s_rps:>7.2f}{errors + s_errors:>8}"
            )
        print(
            f"gunicorn {args.workers} sync workers, wrk {args.connections} connections, "
            f"{args.seconds} s each, {os.cpu_count()} CPUs; target: cached pages >= 0.80 "
            "of the static rate"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
