"""Whole commands against the seed's own README script, on the same files, in one run.

    python bench/seed_bench.py --seed DIR [--data-dir DIR] [--repeat 9]

The content repository this project grew from keeps its README's table of contents with a
script of its own (``scripts/readme.ts``, run by ``tsx``: ``npm run update-readme``). Users
compare what they had with what they have, whole process against whole process, start-up
included: this times, round by round so that a busy spell slows all alike,

- the seed's script (``DIR/node_modules/.bin/tsx DIR/scripts/readme.ts``, in a scratch folder
  holding the data and a README, as the seed's checkout runs it);
- ``manage.py export_readme`` (the same README from a database holding the same files);
- ``manage.py import_guides`` into an empty SQLite database (migrated beforehand);
- ``manage.py check`` (start-up alone);

and prints each one's median and its ratio to the seed script's median (the targets:
export_readme under 0.5, the import under 0.6).

``DIR`` is a checkout of the seed's repository with its Node packages installed (``npm
install``): nothing of it is in this repository, and without ``--seed`` nothing is measured.
The data defaults to the real corpus. Databases and READMEs live in a temporary folder.
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

README = "# Guides\n\n<!-- TOC -->\n\n<!-- /TOC -->\n"
TARGETS = {"manage.py export_readme": 0.5, "manage.py import_guides": 0.6}


def timed(command, cwd, env):
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", required=True, help="the seed's checkout, npm-installed")
    parser.add_argument("--data-dir", default=str(CORPUS))
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    seed, data = Path(args.seed).resolve(), Path(args.data_dir).resolve()
    tsx, script = seed / "node_modules" / ".bin" / "tsx", seed / "scripts" / "readme.ts"
    if not tsx.exists() or not script.exists():
        sys.exit(f"{seed}: no scripts/readme.ts or node_modules/.bin/tsx (run npm install)")

    work = Path(tempfile.mkdtemp(prefix="guides-seed-"))
    scratch = work / "seed"  # the seed's layout: data/ and README.md in the working folder
    scratch.mkdir()
    (scratch / "data").symlink_to(data)
    (scratch / "README.md").write_text(README)
    (work / "README.md").write_text(README)
    manage = [sys.executable, str(ROOT / "manage.py")]
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUIDES_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{work / 'export.sqlite3'}",
    }
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([*manage, "import_guides", "-v", "0"], env=env, check=True)

    def import_into_empty(round_):
        database = work / f"import-{round_}.sqlite3"
        fresh = {**env, "DATABASE_URL": f"sqlite:///{database}"}
        subprocess.run([*manage, "migrate", "-v", "0"], env=fresh, check=True)
        took = timed([*manage, "import_guides", "-v", "0"], ROOT, fresh)
        database.unlink()
        return took

    figures = {
        "seed: tsx scripts/readme.ts": lambda n: timed([str(tsx), str(script)], scratch, env),
        "manage.py export_readme": lambda n: timed(
            [*manage, "export_readme", "--readme", str(work / "README.md")], ROOT, env
        ),
        "manage.py import_guides": import_into_empty,
        "manage.py check": lambda n: timed([*manage, "check"], ROOT, env),
    }
    runs = {name: [] for name in figures}
    for round_ in range(args.repeat):
        for name, figure in figures.items():
            runs[name].append(figure(round_))
    ours = (work / "README.md").read_text().count("\n  * ")
    theirs = (scratch / "README.md").read_text().count("\n  * ")

    seed_median = statistics.median(runs["seed: tsx scripts/readme.ts"])
    print(f"data: {data}; the seed's README lists {theirs} guide entries, ours {ours}")
    print(f"whole processes, median of {args.repeat} rounds; python {sys.version.split()[0]}")
    print(f"{'command':<32}{'seconds':>9}{'× seed':>9}  target")
    for name, times in runs.items():
        median = statistics.median(times)
        target = TARGETS.get(name)
        verdict = ""
        if target:
            verdict = f"< {target}: {'yes' if median / seed_median < target else 'NO'}"
        print(f"{name:<32}{median:>9.3f}{median / seed_median:>9.2f}  {verdict}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
