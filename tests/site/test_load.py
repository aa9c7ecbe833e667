"""A short load test in the suite: 64 connections against gunicorn, steady and during imports.

The full one (60 s per run) is ``make loadtest``; both use bench/load_test.py.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (apt-get install wrk)")
def test_no_errors_under_load_and_while_importing(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'load.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "bench/load_test.py", "--seconds", "5", "--data-dir", str(ROOT / "data")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    rows = [
        line.split()
        for line in result.stdout.splitlines()
        if line.startswith(("steady", "during imports"))
    ]
    assert [row[-1] for row in rows] == ["0", "0"]
    assert "failed: 0" in result.stdout
