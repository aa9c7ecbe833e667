"""Growth benchmark: import time per guide, peak memory, export_readme and queries per page.

    python bench/growth_bench.py [--sizes 400 4000 20000]

For each N, bench/make_corpus.py writes a synthetic collection, and a fresh process imports
it into an empty database (a temporary SQLite file, or DATABASE_URL's database, emptied),
reporting the import's wall time, its peak resident memory, the time of export_readme (query
and rewrite of a README's TOC), and the number of SQL queries each page type runs (cache
empty). Targets: 20,000 guides in at most 60x the time of 400; export_readme under 1 s at
20,000; the same number of queries per page at every size.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "home": "/",
    "category": "/guides/security",
    "category deep": None,  # the category's last page
    "guide": None,
    "tag": None,
    "search": "/search?q=cache+replica",
    "feed": "/feed.xml",
    "sitemap": "/sitemap.xml",
}


def child(data_dir, workdir):
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'growth.sqlite3'}")
    os.environ.update(DEBUG="0", SECRET_KEY="bench", ALLOWED_HOSTS="testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_site.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache, caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.servers import empty_database
    from catalog.fileformat import read_folder
    from catalog.fileformat.files import write_atomic
    from catalog.models import Category, Guide
    from catalog.pipeline.importer import apply_plan, build_plan
    from catalog.pipeline.readme import replace_toc, toc_sections

    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    call_command("migrate", verbosity=0)
    empty_database()

    started = time.perf_counter()
    apply_plan(build_plan(read_folder(data_dir)))
    import_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    readme = workdir / "README.md"
    readme.write_text("# Guides\n\n<!-- TOC -->\n<!-- /TOC -->\n")
    started = time.perf_counter()
    write_atomic(
        readme,
        replace_toc(readme.read_text(), toc_sections(), "https://example.org/guides").encode(),
    )
    export_seconds = time.perf_counter() - started

    guide = Guide.objects.published().filter(category_links__category__slug="security").first()
    in_security = Guide.objects.for_category_page(Category.objects.get(slug="security")).count()
    pages = dict(
        PAGES, guide=f"/guides/{guide.slug}", tag=f"/tags/{guide.tagged_items.first().tag.slug}"
    )
    pages["category deep"] = f"/guides/security?page={max(1, -(-in_security // 48))}"
    client, queries = Client(), {}
    for name, path in pages.items():
        cache.clear()
        caches["pages-local"].clear()
        with CaptureQueriesContext(connection) as captured:
            status = client.get(path).status_code
        queries[name] = len(captured) if status == 200 else f"HTTP {status}"
    print(
        json.dumps(
            {
                "import": import_seconds,
                "peak_mb": peak_mb,
                "export_readme": export_seconds,
                "queries": queries,
                "vendor": connection.vendor,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 4000, 20000])
    parser.add_argument("--child", nargs=2, metavar=("DATA_DIR", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(Path(args.child[0]), Path(args.child[1]))

    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"guides-growth-{n}-") as folder:
            work = Path(folder)
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "make_corpus.py"),
                    str(n),
                    str(work / "data"),
                ],
                check=True,
            )
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(work / "data"), str(work)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        rows.append((n, json.loads(out.strip().splitlines()[-1])))
    base = rows[0][1]["import"]
    print(f"database: {rows[0][1]['vendor']}; {os.cpu_count()} CPUs")
    print(
        f"{'guides':>7}{'import s':>10}{'ms/guide':>10}{'x first':>9}{'peak MB':>9}"
        f"{'readme s':>10}  queries per page"
    )
    for n, r in rows:
        print(
            f"{n:>7}{r['import']:>10.2f}{r['import'] / n * 1000:>10.2f}"
            f"{r['import'] / base:>9.1f}{r['peak_mb']:>9.0f}{r['export_readme']:>10.3f}  "
            + ", ".join(f"{k} {v}" for k, v in r["queries"].items())
        )
    same = len({json.dumps(r["queries"], sort_keys=True) for _, r in rows}) == 1
    print(
        f"targets: {rows[-1][0]} guides <= 60x the time of {rows[0][0]} "
        f"({rows[-1][1]['import'] / base:.1f}x); export_readme < 1 s; queries per page "
        f"equal at every size: {'yes' if same else 'NO'}"
    )


if __name__ == "__main__":
    main()
