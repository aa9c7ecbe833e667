"""Import and README-export benchmark, measured in one process against a parse-only floor.

    python bench/import_bench.py [--data-dir DIR] [--copies N] [--repeat N] [--figures-only]

Figures (best of N rounds; each round runs every figure once, so that a busy spell on the
machine slows the floor and what is compared with it alike):

- parse floor: reading and validating every file (``catalog.fileformat.read_folder``);
- full import into an empty database, as `import_guides` does it (read, with new guides' search
  documents computed meanwhile; plan; apply: every body rendered (cmark-gfm, sanitised, its
  plain text), bulk inserts, tags, revisions, ranks);
- rendering every body as the import stores it, timed alone (part of the full import),
  shown for scale;
- no-change re-import (the plan finds nothing to do and writes nothing);
- export_readme (query + rewrite the TOC block of a README, written atomically);
- ``manage.py import_guides`` as a whole process into a fresh SQLite file (wall time,
  including interpreter and Django start-up), the figure users feel in CI.

Each figure is printed with its ratio to the parse floor twice: best against best, and the
median over the rounds of each round's ratio ("per round"). On a machine whose cores run at
half speed for seconds at a time, the best of a figure three times the floor's length
rarely falls wholly in a fast spell when the floor's best does, so best against best
overstates the ratio there (0.125 s against a typical 0.19 s floor on 2026-11-30); a round
pairs figures measured moments apart, under the same conditions.

The database is a temporary SQLite file unless DATABASE_URL is set (e.g. to the local
PostgreSQL; its tables are emptied).
``--copies 50`` imports the corpus copied 50 times (20,000 guides; made in a temporary folder
as cold_bench.py makes it, never kept); ``--figures-only`` leaves out the rendering figure and
the whole-process runs, which at that size take minutes and are not import targets.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.servers import CORPUS  # noqa: E402


def timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(CORPUS))
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--figures-only", action="store_true")
    args = parser.parse_args()
    data_dir = Path(args.data_dir).resolve()
    if not (data_dir / "guides").is_dir():
        sys.exit(f"{data_dir}: no guides/ folder (pass --data-dir)")

    workdir = Path(tempfile.mkdtemp(prefix="guides-bench-"))
    if args.copies > 1:
        from bench.cold_bench import copy_corpus

        copy_corpus(data_dir, workdir / "copied", args.copies)
        data_dir = workdir / "copied"
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_site.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.servers import empty_database
    from catalog.fileformat import read_folder
    from catalog.fileformat.rendering import stored_rendering
    from catalog.pipeline.importer import apply_plan, build_plan
    from catalog.pipeline.readme import replace_toc, toc_sections
    from catalog.pipeline.searchdocs import SearchDocuments

    call_command("migrate", verbosity=0)

    def full_import():  # as manage.py import_guides does it
        with SearchDocuments() as documents:
            folder = read_folder(data_dir, each=documents.add)
            apply_plan(build_plan(folder), documents)

    folder = read_folder(data_dir)
    if folder.errors:
        sys.exit("\n".join(str(p) for p in folder.errors))
    bodies = [g.body for g in folder.guides.values()] + [c.body for c in folder.categories.values()]
    stored_rendering("warm up *the* renderer")

    readme = workdir / "README.md"
    readme.write_text("# Bench\n\n<!-- TOC -->\n<!-- /TOC -->\n")

    def export():
        from catalog.fileformat.files import write_atomic

        text = readme.read_text()
        write_atomic(
            readme, replace_toc(text, toc_sections(), "https://example.org/guides").encode()
        )

    names = [
        "parse floor (read + validate)",
        "full import, empty database",
        "render all markdown (in the import)",
        "no-change re-import",
        "export_readme",
    ]
    floor_name, full_name, render_name, reimport_name, export_name = names
    runs = {name: [] for name in names}
    for round_ in range(args.repeat):
        runs[floor_name].append(timed(lambda: read_folder(data_dir)))
        empty_database()
        runs[full_name].append(timed(full_import))
        runs[reimport_name].append(timed(full_import))
        runs[export_name].append(timed(export))
        if round_ < 3 and not args.figures_only:
            runs[render_name].append(timed(lambda: [stored_rendering(b) for b in bodies]))
    figures = {name: min(times) for name, times in runs.items() if times}

    walls = []
    for n in range(0 if args.figures_only else 3):
        db = workdir / f"process-{n}.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "import_guides", "--data-dir", str(data_dir), "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        walls.append(time.perf_counter() - started)

    floor = figures[floor_name]
    source = f"{args.data_dir} copied {args.copies} times" if args.copies > 1 else data_dir
    print(f"corpus: {source} ({len(folder.categories)} categories, {len(folder.guides)} guides)")
    print(
        f"database: {connection.vendor}; python {sys.version.split()[0]}; "
        f"{os.cpu_count()} CPUs; best of {args.repeat}"
    )
    print(f"{'figure':<34}{'seconds':>10}{'× floor':>10}{'per round':>11}")
    for name, seconds in figures.items():
        rounds = zip(runs[name], runs[floor_name][: len(runs[name])], strict=True)
        paired = statistics.median(took / floor_took for took, floor_took in rounds)
        print(f"{name:<34}{seconds:>10.3f}{seconds / floor:>10.2f}{paired:>11.2f}")
    if walls:
        print(
            f"{'manage.py import_guides (process)':<34}{statistics.median(walls):>10.3f}"
            f"{'':>10}  (median of 3, wall time incl. start-up)"
        )
    print(
        "targets: full import <= 3x floor, re-import <= 1.5x floor"
        + ("" if args.figures_only else ", process < 1.25 s")
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
