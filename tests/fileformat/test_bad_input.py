"""Bad input to the importer: one folder per case under tests/cases/, each with the exact
output expected in expected.txt.

Each case is imported (with ``--data-dir data`` from the case folder, so paths in messages
are short and stable) into a database that already holds the sample content: an invalid
case must fail with exactly the expected problems, every one of them in one run, and leave
the database as it was; a valid one must import and report what it expects.
"""

import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Category, Guide, Tag, TaggedGuide

pytestmark = pytest.mark.django_db
CASES = Path(__file__).resolve().parents[1] / "cases"
FIVE_MB = 5 * 1024 * 1024


def snapshot():
    return (
        sorted(Guide.objects.values_list("slug", "title", "body", "draft", "updated_at")),
        sorted(Category.objects.values_list("slug", "title", "sort", "updated_at")),
        sorted(Tag.objects.values_list("name", "slug")),
        TaggedGuide.objects.count(),
    )


def run_case(name, tmp_path):
    """Import the case; return its output as expected.txt words it."""
    folder = tmp_path / name
    shutil.copytree(CASES / name, folder, symlinks=True)
    if name == "five-megabyte-body":
        (folder / "data" / "guides" / "tcp.md").write_text(
            '---\ntitle: "TCP"\ncreatedAt: "2024-03-01"\n---\n\n' + "x" * FIVE_MB + "\n"
        )
    out, err = StringIO(), StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        call_command("import_guides", "--data-dir", "data", stdout=out, stderr=err)
        result = "ok"
    except CommandError as exc:
        result = f"error: {exc}"
    finally:
        os.chdir(cwd)
    return err.getvalue() + result + "\n"


@pytest.fixture
def sample_content():
    call_command("import_guides", "--data-dir", str(settings.GUIDES_DATA_DIR), verbosity=0)
    return snapshot()


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_bad_input_case(name, tmp_path, sample_content):
    expected = (CASES / name / "expected.txt").read_text()
    assert run_case(name, tmp_path) == expected
    if expected.endswith("\nok\n") or expected == "ok\n":
        assert snapshot() != sample_content
    else:
        assert snapshot() == sample_content


def test_there_are_at_least_25_invalid_cases():
    invalid = [
        p
        for p in CASES.iterdir()
        if p.is_dir()
        and (p / "expected.txt").read_text().rstrip().splitlines()[-1].startswith("error")
    ]
    assert len(invalid) >= 25
