"""Bounded load test: gunicorn on 127.0.0.1 under 64 connections, then the same during imports.

    python bench/load_test.py [--seconds 60] [--connections 64] [--data-dir DIR]

wrk (Debian package ``wrk``) requests a rotation of page types (home, categories, guides,
tags, search, feeds, sitemap) for a bounded time, from a separate process, to 127.0.0.1
only. The second run repeats it while import_guides runs again and again, alternating two
versions of the collection so that every import changes every guide. Reports requests,
errors (socket errors and non-2xx/3xx answers) and latency percentiles; exits 1 on errors.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.servers import CORPUS, Gunicorn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def discover(base):
    listing = urllib.request.urlopen(base + "/guides").read().decode()
    categories = re.findall(r'<a href="(/guides/[^"]+)">\s*(?:<img[^>]*>)?\s*<span', listing)
    paths = [
        "/",
        "/guides",
        "/tags",
        "/feed.xml",
        "/sitemap.xml",
        "/search?q=cache",
        "/search?q=kafka+queue",
    ]
    for category in categories[:5]:
        page = urllib.request.urlopen(base + category).read().decode()
        paths.append(category)
        paths += re.findall(r'<a class="card-link" href="(/guides/[^"]+)"', page)[:6]
        paths += re.findall(r'href="(/tags/[^"]+)"', page)[:2]
    return list(dict.fromkeys(paths))


def wrk(base, paths, seconds, connections, workdir):
    script = workdir / "paths.lua"
    script.write_text(LUA % ", ".join(f'"{p}"' for p in paths))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    socket_errors = sum(
        int(n)
        for n in re.findall(
            r"(?:connect|read|write|timeout) (\d+)",
            (re.search(r"Socket errors:.*", out) or re.match("", "")).group(0),
        )
    )
    status = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = {p: re.search(rf"{p}%\s+([\d.]+\w+)", out).group(1) for p in ("50", "99")}
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "errors": socket_errors + (int(status.group(1)) if status else 0),
        "p50": latency["50"],
        "p99": latency["99"],
    }


def two_versions(source, workdir):
    """The collection as it is, and a copy in which every guide's title changed."""
    a, b = workdir / "a", workdir / "b"
    shutil.copytree(source, a)
    shutil.copytree(source, b)
    for path in (b / "guides").glob("*.md"):
        text = path.read_text(encoding="utf-8-sig")
        path.write_text(
            re.sub(r'^title: (["\']?)', r"title: \1Revised ", text, count=1, flags=re.M)
        )
    return a, b


def run(args):
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="guides-load-"))
    a, b = two_versions(Path(args.data_dir), work)
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "load",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(work / "static"),
        "SECURE_COOKIES": "0",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{work / 'load.sqlite3'}")
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "-v0"],
        ["import_guides", "-v0", "--prune", "--data-dir", str(a)],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True)
    results, imports = {}, []
    with Gunicorn(env, workers=args.workers) as server:
        base = server.url
        paths = discover(base)
        results["steady"] = wrk(base, paths, args.seconds, args.connections, work)

        stop = threading.Event()

        def import_loop():
            versions = [b, a]
            while not stop.is_set():
                started = time.perf_counter()
                done = subprocess.run(
                    manage
                    + [
                        "import_guides",
                        "-v0",
                        "--prune",
                        "--data-dir",
                        str(versions[len(imports) % 2]),
                    ],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                imports.append((done.returncode, time.perf_counter() - started, done.stderr[-500:]))

        importer = threading.Thread(target=import_loop)
        importer.start()
        try:
            results["during imports"] = wrk(base, paths, args.seconds, args.connections, work)
        finally:
            stop.set()
            importer.join()
    shutil.rmtree(work, ignore_errors=True)
    return results, imports, len(paths)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", default=str(CORPUS if CORPUS.is_dir() else ROOT / "data"))
    args = parser.parse_args()
    results, imports, paths = run(args)
    print(
        f"gunicorn {args.workers} workers, wrk {args.connections} connections, "
        f"{args.seconds} s per run, {paths} URLs in rotation"
    )
    print(f"{'run':<16}{'requests':>10}{'req/s':>9}{'p50':>9}{'p99':>9}{'errors':>8}")
    for name, r in results.items():
        print(
            f"{name:<16}{r['requests']:>10}{r['rps']:>9.0f}{r['p50']:>9}{r['p99']:>9}"
            f"{r['errors']:>8}"
        )
    failed = [i for i in imports if i[0] != 0]
    print(
        f"imports during the second run: {len(imports)}, failed: {len(failed)}"
        + (f" ({failed[0][2]})" if failed else "")
    )
    if any(r["errors"] for r in results.values()) or failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
