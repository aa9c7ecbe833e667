"""Run every benchmark and write bench/RESULTS.md (``make bench``).

SQLite figures always; PostgreSQL figures when a server answers at BENCH_POSTGRES (default
postgres://postgres@127.0.0.1:5432, trust auth; databases guides_bench and guides_pages
are made afresh for each run), with Redis as the shared cache when one answers at BENCH_REDIS;
whole commands against the seed's README script when BENCH_SEED names a checkout of it.
Each table is printed as it is made and collected, with a description of the machine.
"""

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.servers import fresh_postgres_database, redis_up  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
# Everything from this line on in RESULTS.md is written by hand, and kept by every run.
NOTES_MARK = "<!-- notes by hand below: make bench keeps them -->"
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
# A checkout of the seed's repository with its Node packages (bench/seed_bench.py); optional.
SEED = os.environ.get("BENCH_SEED", "")


def machine():
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    return (
        f"{os.cpu_count()} CPUs ({model}), {int(memory) / 1024 / 1024:.0f} GiB memory, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def postgres_database(name):
    return fresh_postgres_database(POSTGRES, name)


def run(title, script, *args, env=None):
    """Run one benchmark; ``env`` names its database and cache, and without them it gets
    the defaults (SQLite, local memory) whatever the caller's environment says."""
    print(f"\n## {title}\n", flush=True)
    inherited = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env={**inherited, **(env or {})},
        capture_output=True,
        text=True,
    )
    output = result.stdout.strip() or result.stderr.strip()[-2000:]
    print(output, flush=True)
    return f"## {title}\n\n```\n{output}\n```\n"


def main():
    sections = []
    pg_bench = postgres_database("guides_bench")
    pg_pages = postgres_database("guides_pages")
    sections.append(run("Import, real corpus, SQLite", "import_bench.py"))
    if pg_bench:
        sections.append(
            run(
                "Import, real corpus, PostgreSQL", "import_bench.py", env={"DATABASE_URL": pg_bench}
            )
        )
        sections.append(
            run(
                "Import, real corpus copied 250 times (100,000 guides), PostgreSQL",
                "import_bench.py",
                "--copies",
                "250",
                "--repeat",
                "1",
                "--figures-only",
                env={"DATABASE_URL": pg_bench},
            )
        )
    if SEED:  # the seed's own README script, when a checkout of it is at hand
        sections.append(
            run("Whole commands against the seed's README script", "seed_bench.py", "--seed", SEED)
        )
    sections.append(run("Growth, synthetic corpus, SQLite", "growth_bench.py"))
    if pg_bench:
        sections.append(
            run(
                "Growth, synthetic corpus, PostgreSQL",
                "growth_bench.py",
                env={"DATABASE_URL": pg_bench},
            )
        )
    sections.append(run("Pages, real corpus, SQLite, local-memory cache", "pages_bench.py"))
    if pg_pages:
        cache = {"REDIS_URL": REDIS} if redis_up() else {}
        sections.append(
            run(
                f"Pages, 100,000 guides, PostgreSQL, {'Redis' if cache else 'local-memory'} cache",
                "pages_bench.py",
                "--synthetic",
                "100000",
                env={"DATABASE_URL": pg_pages, **cache},
            )
        )
    sections.append(run("sync_content, real corpus, SQLite", "sync_bench.py"))
    if pg_bench:
        sections.append(
            run(
                "sync_content, real corpus, PostgreSQL",
                "sync_bench.py",
                env={"DATABASE_URL": pg_bench},
            )
        )
    if pg_bench:  # drop what the import benchmarks left, so its vacuum does not run beside
        postgres_database("guides_bench")
    sections.append(
        run(
            "Cold renders, real corpus against it copied 250 times (100,000 guides)",
            "cold_bench.py",
            "--copies",
            "250",
            env={"BENCH_POSTGRES": POSTGRES},
        )
    )
    sections.append(
        run(
            "Cold renders, real corpus against itself (the machine's noise)",
            "cold_bench.py",
            "--copies",
            "1",
            env={"BENCH_POSTGRES": POSTGRES},
        )
    )
    text = (
        f"# Benchmark results\n\nMade by `make bench` on {dt.date.today().isoformat()}: "
        f"{machine()}.\nLoad is generated on the same machine (loopback only), so "
        "absolute rates are lower than on separate hosts; ratios are what to compare.\n\n"
        + "\n".join(sections)
    )
    old = RESULTS.read_text() if RESULTS.exists() else ""
    notes = old[old.index(NOTES_MARK) :] if NOTES_MARK in old else NOTES_MARK + "\n"
    RESULTS.write_text(text + "\n" + notes)
    print("\nwrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
