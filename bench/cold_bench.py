"""Cold renders per page type: the real corpus (400 guides) against it copied 50 times.

    python bench/cold_bench.py [--copies 50] [--repeat 15] [--cpu N] [--corpus DIR]
                               [--pages PAGE ...]

Every edit, publish or import bumps the content version, so every cached page is rendered
again on its next request: that cold render is what a large collection pays. This builds two
collections at bench time (never kept in the repository): the real corpus as it is, and the
corpus copied ``--copies`` times with slugs and titles suffixed and dates shifted (bodies and
tags stay real). Each is imported into its own PostgreSQL database (``DATABASE_URL``'s server,
or BENCH_POSTGRES; SQLite files when neither answers) by ``manage.py import_guides`` (its
time and peak memory are shown), its host's search index is written by ``run_worker
--batch``, as a site's task worker writes it, then a child process per collection (a web
process: its memory after serving every page type is shown, resident and its own)
times each page type with the page cache cleared before every request and counts its queries;
the two take turns request by request, both on one CPU (``--cpu``), so that a busy spell on
the machine slows both alike.

A page's cost is the fastest of ``--repeat`` requests (see ``cost``); the median is shown
beside it. Search asks each of fifteen distinct queries ``--repeat`` times and takes the
median of their fastest (on PostgreSQL answered by the host's search index, written
by the host's task worker before the first request; catalog.search.index); "search, a
typo" does the same with seven queries that match nothing as typed, whose page shows what
the nearest words find (catalog.search.suggestion). The
guide page shows the same guide at both sizes. The table gives
both costs, their ratio (the target: at most 1.3), the query counts and the pages' sizes (a
page that lists fewer items than a page holds at 400 guides, a tag's first page or the one
sitemap page, holds more at 20,000). ``--copies 1`` times the corpus against itself: the
ratios it gives are the machine's noise. The admin's guide list, search, draft filter and
revisions (``ADMIN_PAGES``, as a superuser sees them) are timed too and shown in the table,
outside the target, which is the public pages'.
"""

import argparse
import atexit
import datetime as dt
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.servers import CORPUS, fresh_postgres_database  # noqa: E402

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
SEARCHES = [
    "cache",
    "kafka",
    "database replication",
    "load balancer",
    "oauth",
    "docker kubernetes",
    "api gateway",
    "consistent hashing",
    "redis",
    "microservices",
    "tcp udp",
    "cdn",
    "sql nosql",
    "rate limit",
    "git",
]
# Searches that match nothing as typed, so the page shows what the nearest words find
# ("did you mean"): each is a typo of a word of the corpus's titles.
TYPOS = [
    "cahce",
    "kafak",
    "redsi",
    "databse replicaton",
    "kuberntes",
    "microservics",
    "oauht",
]
# The pages made of several queries: each query is timed on its own, and the page's cost is
# the median over its queries of each one's fastest.
QUERIES = {"search": SEARCHES, "search, a typo": TYPOS}
TARGET = 1.3
MEMORY_TARGET = 60  # MB more for a web process at the large collection than at the small
# Editors' pages, timed beside the public ones but not part of the target (the issue names
# public pages): the guide list, its search and draft filter, and the revisions.
ADMIN_PAGES = {
    "admin: guides": "/admin/catalog/guide/",
    "admin: guide search": "/admin/catalog/guide/?q=cache",
    "admin: drafts": "/admin/catalog/guide/?state=draft",
    "admin: revisions": "/admin/catalog/guiderevision/",
    "admin: revision search": "/admin/catalog/guiderevision/?q=cache",
}
PROTOCOL = "cold-bench: "


def copy_corpus(source: Path, target: Path, copies: int):
    """The corpus ``copies`` times: slugs and titles suffixed, dates shifted by the copy."""
    shutil.copytree(source / "categories", target / "categories")
    (target / "guides").mkdir(parents=True)
    for path in sorted((source / "guides").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for n in range(copies):
            suffix = "" if n == 0 else f"-{n}"
            copy = _shift_date(_suffix_title(text, n), n) if n else text
            (target / "guides" / f"{path.stem}{suffix}.md").write_text(copy, encoding="utf-8")


def _suffix_title(text, n):
    head, rest = text.split("\ntitle: ", 1)
    line, tail = rest.split("\n", 1)
    quote = line[0] if line[:1] in "'\"" else ""
    value = line[1:-1] if quote else line
    return f"{head}\ntitle: {quote}{value} ({n}){quote}\n{tail}"


def _shift_date(text, n):
    head, rest = text.split("\ncreatedAt: ", 1)
    line, tail = rest.split("\n", 1)
    quote = line[0] if line[:1] in "'\"" else ""
    day = dt.date.fromisoformat(line.strip("'\"")) - dt.timedelta(days=n)
    return f"{head}\ncreatedAt: {quote}{day.isoformat()}{quote}\n{tail}"


def database(name):
    return fresh_postgres_database(POSTGRES, name)


def child(args):
    """Import the folder, say which pages there are, then time one cold request of a page
    for each line read (``[name, n]``) and say how long it took and how many queries."""
    # One database connection for the whole run (pinned with the process: _pin).
    os.environ.update(
        DEBUG="0", SECRET_KEY="bench", ALLOWED_HOSTS="testserver", CONN_MAX_AGE="86400"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_site.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Category, Guide, SiteState, published_tags
    from catalog.search import index as searchindex
    from catalog.site.sitemaps import PAGE_SIZE

    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    # The import and the host's search index are other processes' work (a command, the
    # task worker), as on a site: this process is a web process, whose memory is measured.
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], check=True)
    started = time.perf_counter()
    subprocess.run(
        [*manage, "import_guides", "--data-dir", args.child, "--prune", "-v", "0"], check=True
    )
    imported = time.perf_counter() - started
    import_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    subprocess.run([*manage, "run_worker", "--batch", "-v", "0"], check=True)  # the index

    category = Category.objects.with_guide_counts().order_by("-guide_count", "slug").first()
    last = max(1, -(-category.guide_count // 48))
    guides = list(Guide.objects.for_category_page(category).values_list("slug", flat=True))
    guide = guides[len(guides) // 2]
    tag = published_tags().order_by("-guide_count", "slug").first()
    tag_last = max(1, -(-tag.guide_count // 48))
    published = Guide.objects.published().count()
    sitemap_last = max(1, -(-published // PAGE_SIZE))
    pages = {
        "home": "/",
        "categories": "/guides",
        "category, page 1": f"/guides/{category.slug}",
        "category, last page": f"/guides/{category.slug}?page={last}",
        "guide": f"/guides/{guide}",
        "tag, page 1": f"/tags/{tag.slug}",
        "tag, last page": f"/tags/{tag.slug}?page={tag_last}",
        "tags": "/tags",
        "search": None,
        "search, a typo": None,
        "feed": "/feed.xml",
        "category feed": f"/guides/{category.slug}/feed.xml",
        "tag feed": f"/tags/{tag.slug}/feed.xml",
        "sitemap index": "/sitemap.xml",
        "sitemap guides, p1": "/sitemap-guides.xml",
        "sitemap guides, last": f"/sitemap-guides.xml?p={sitemap_last}",
        "sitemap categories": "/sitemap-categories.xml",
        "sitemap tags": "/sitemap-tags.xml",
    }
    pages.update(ADMIN_PAGES)
    client = Client()
    editor = Client()  # the admin's pages, as a superuser sees them
    editor.force_login(User.objects.create_superuser("cold-bench", password=None))
    _pin(connection, args.cpu)
    _say(
        {
            "guides": Guide.objects.count(),
            "pages": pages,
            "import": {"seconds": imported, "peak_mb": import_peak},
            "indexed": searchindex.indexed_version() == SiteState.current().version,
        }
    )
    for line in sys.stdin:  # one request per line: [page name, request number]
        name, n = json.loads(line)
        if name == "same as":  # pages to show as the other collection shows them
            pages.update(n)
            continue
        if name == "memory":
            _say(_memory())
            continue
        url = pages[name] or f"/search?q={QUERIES[name][n % len(QUERIES[name])]}"
        for alias in ("default", "pages-local"):
            caches[alias].clear()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = (editor if url.startswith("/admin/") else client).get(url)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        found = (
            re.search(rb"([0-9,]+) guides? (?:match|for)", response.content)
            if not pages[name]
            else None
        )
        _say(
            {
                "ms": elapsed,
                "queries": len(captured),
                "bytes": len(response.content),
                "matches": int(found[1].replace(b",", b"")) if found else None,
            }
        )


def _memory():
    """This process's memory in MB: resident (``rss``, pages of mapped files such as the
    search index's included, which the page cache shares among processes), its own
    (``private``: what another web process would not share), and its peak resident."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    rollup = Path("/proc/self/smaps_rollup").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in rollup[1:])

    def mb(text):
        return int(text.split()[0]) / 1024

    return {
        "rss": mb(status["VmRSS"]),
        "private": mb(fields["Private_Clean"]) + mb(fields["Private_Dirty"]),
        "peak": mb(status["VmHWM"]),
    }


def _pin(connection, cpu):
    """Run this process and its database server process on ``cpu`` only.

    On these machines a core can run at half speed for seconds at a time (another tenant on
    the host); a process the scheduler keeps on that core comes out slower for all its
    requests, and two identical collections then differ by 1.5x. Pinned to one core, the
    two collections' requests, which alternate, meet the same conditions."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    os.sched_setaffinity(0, {cpu})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (server,) = cursor.fetchone()
        try:
            os.sched_setaffinity(server, {cpu})
        except OSError as exc:  # not the database server's user: only this side is pinned
            print(f"cold-bench: database process {server} not pinned: {exc}", file=sys.stderr)


def cost(runs):
    """A page's cold cost: the fastest of its runs (of each query's, for search, then their
    median). On a machine shared with others, what is above the fastest run is mostly time
    the page spent waiting; ``--copies 1`` (the corpus against itself) shows how far apart
    two identical collections come out."""
    return statistics.median(min(times) for times in runs.values())


def _say(message):
    print(PROTOCOL + json.dumps(message), flush=True)


class Collection:
    """A child process holding one collection, timing one cold request when asked."""

    def __init__(self, folder, database_url, workdir, cpu):
        cpu = [] if cpu is None else ["--cpu", str(cpu)]
        env = {**os.environ}
        env["DATABASE_URL"] = database_url or f"sqlite:///{workdir / (folder.name + '.sqlite3')}"
        env["GUIDES_SEARCH_INDEX_DIR"] = str(workdir / f"{folder.name}-search")
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--child", str(folder), *cpu],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def hear(self):
        for line in self.process.stdout:
            if line.startswith(PROTOCOL):
                return json.loads(line[len(PROTOCOL) :])
        sys.exit(f"the {self.process.args[-1]} child stopped (exit {self.process.wait()})")

    def tell(self, name, n):
        self.process.stdin.write(json.dumps([name, n]) + "\n")
        self.process.stdin.flush()

    def time(self, name, n):
        self.tell(name, n)
        return self.hear()

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument(
        "--cpu",
        type=int,
        default=max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        help="the one CPU both collections' requests run on (default: the last one)",
    )
    parser.add_argument(
        "--pages", nargs="+", metavar="PAGE", help="time only these pages (names as in the table)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    corpus = Path(args.corpus)
    if not (corpus / "guides").is_dir():
        sys.exit(f"the real corpus is not at {corpus}")
    work = Path(tempfile.mkdtemp(prefix="guides-cold-"))
    atexit.register(shutil.rmtree, work, True)  # also when a child stops the run
    small, large = work / "real", work / f"copied-{args.copies}"
    shutil.copytree(corpus, small, ignore=shutil.ignore_patterns("public"))
    copy_corpus(corpus, large, args.copies)
    small_db, large_db = database("guides_cold_small"), database("guides_cold_large")
    collections = [
        Collection(small, small_db, work, args.cpu),
        Collection(large, large_db, work, args.cpu),
    ]
    ready = [collection.hear() for collection in collections]
    # The same guide at both sizes (the copy keeps the original slugs): guides differ in
    # length, and the middle one of the larger list would be another guide.
    collections[1].tell("same as", {"guide": ready[0]["pages"]["guide"]})
    # The two collections take turns, request by request (and which goes first alternates),
    # so that a busy spell on the machine slows both alike instead of one table column.
    # Search is asked each of its queries ``--repeat`` times.
    samples = [{name: {} for name in ready[0]["pages"]} for _ in collections]
    queries = [dict.fromkeys(ready[0]["pages"], 0) for _ in collections]
    sizes = [dict.fromkeys(ready[0]["pages"], 0) for _ in collections]
    matches = [{}, {}]  # (page, query number): how many guides it found
    if args.pages:
        unknown = set(args.pages) - set(ready[0]["pages"])
        if unknown:
            sys.exit(f"no such page: {', '.join(sorted(unknown))}")
        ready[0]["pages"] = {name: ready[0]["pages"][name] for name in args.pages}
    for name, url in ready[0]["pages"].items():
        variants = len(QUERIES[name]) if url is None else 1
        for n in range(args.repeat * variants):
            for side in (0, 1) if n % 2 == 0 else (1, 0):
                answer = collections[side].time(name, n)
                samples[side][name].setdefault(n % variants, []).append(answer["ms"])
                queries[side][name] = max(queries[side][name], answer["queries"])
                sizes[side][name] = max(sizes[side][name], answer["bytes"])
                if answer["matches"] is not None:
                    matches[side][name, n % variants] = answer["matches"]
    memory = [collection.time("memory", 0) for collection in collections]
    for collection in collections:
        collection.close()
    vendor = "PostgreSQL" if small_db else "SQLite"
    guides = [ready[side]["guides"] for side in (0, 1)]
    print(
        f"{vendor}; page cache cleared before each request; fastest of {args.repeat} "
        f"(search: the median over its {len(SEARCHES)} queries of each one's fastest, a typo "
        f"over its {len(TYPOS)}); "
        f"{guides[0]:,} guides against {guides[1]:,}"
    )
    print(
        f"{'page':<22}{'ms small':>10}{'ms large':>10}{'ratio':>7}{'median ms':>14}"
        f"{'queries':>9}{'KB':>10}  within"
    )
    worst = 0
    for name in ready[0]["pages"]:
        fastest = [cost(samples[side][name]) for side in (0, 1)]
        middle = [statistics.median(sum(samples[side][name].values(), [])) for side in (0, 1)]
        ratio = fastest[1] / fastest[0]
        if name in ADMIN_PAGES:
            within = "(admin)"
        else:
            worst = max(worst, ratio)
            within = "yes" if ratio <= TARGET else "NO"
        print(
            f"{name:<22}{fastest[0]:>10.1f}{fastest[1]:>10.1f}{ratio:>7.2f}"
            f"{f'{middle[0]:.1f}/{middle[1]:.1f}':>14}"
            f"{f'{queries[0][name]}/{queries[1][name]}':>9}"
            f"{f'{sizes[0][name] / 1024:.0f}/{sizes[1][name] / 1024:.0f}':>10}"
            f"  {within}"
        )
    print(f"target: every public page at most {TARGET}x; worst {worst:.2f}x")
    print(
        "\na web process after serving every page type (MB, small/large, large - small):"
        + "".join(
            f"\n  {label:<32}{memory[0][key]:>7.0f}{memory[1][key]:>7.0f}"
            f"{memory[1][key] - memory[0][key]:>+8.0f}"
            for key, label in (
                ("rss", "resident (shared index pages too)"),
                ("private", "its own"),
                ("peak", "peak resident"),
            )
        )
        + f"\n  search index at the content version: {ready[0]['indexed']}/{ready[1]['indexed']}"
        f" (memory target: at most {MEMORY_TARGET} MB more)"
    )
    print(
        "import_guides, whole process, into an empty database (small/large): "
        + " / ".join(
            f"{run['seconds']:.1f} s, peak {run['peak_mb']:.0f} MB"
            for run in (ready[side]["import"] for side in (0, 1))
        )
    )
    for page, texts in QUERIES.items():
        if page not in ready[0]["pages"]:
            continue
        print(
            f"\n{page}, query by query (fastest of each; matches at {guides[0]:,} / at "
            f"{guides[1]:,}):"
        )
        for n, text in enumerate(texts):
            fastest = [min(samples[side][page][n]) for side in (0, 1)]
            found = "/".join(f"{matches[side].get((page, n), 0):,}" for side in (0, 1))
            print(
                f"  {text:<22}{fastest[0]:>8.1f}{fastest[1]:>8.1f}"
                f"{fastest[1] / fastest[0]:>7.2f}{found:>14}"
            )


if __name__ == "__main__":
    main()
