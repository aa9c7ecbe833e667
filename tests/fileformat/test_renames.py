"""Renames in git, recognised as git recognises them: a record whose file is gone and a new
file holding at least half of its base's text, chunk by chunk (catalog.fileformat.merge)."""

import dataclasses
import datetime as dt
import time
import types

from catalog.fileformat import GuideFile
from catalog.fileformat.merge import State, pair_up

LINES = [f"Line {n} of a guide about caching, with some words of its own." for n in range(20)]


def guide(slug, lines=LINES, title="Caching"):
    return GuideFile(slug=slug, title=title, created=dt.date(2024, 1, 1), body="\n".join(lines))


def record(base):
    """A record in step with its file ``base`` (its sync base)."""
    return types.SimpleNamespace(file=base, base=base)


def states(files, records):
    return {
        (p.record.file.slug if p.record else None, p.item.slug if p.item else None): p.state
        for p in pair_up({f.slug: f for f in files}, {r.file.slug: r for r in records})
    }


def test_a_file_moved_with_part_of_its_text_changed_is_the_same_guide():
    old = guide("old")
    moved = guide("moved", LINES[:12] + [f"New line {n}." for n in range(8)])
    assert states([moved], [record(old)]) == {("old", "moved"): State.FILE_CHANGED}


def test_a_new_file_holding_less_than_half_of_a_gone_ones_text_is_new():
    old = guide("old")
    other = guide("other", LINES[:6] + [f"Other line {n} entirely." for n in range(14)])
    assert states([other], [record(old)]) == {
        ("old", None): State.FILE_DELETED,
        (None, "other"): State.NEW_FILE,
    }


def test_each_gone_file_pairs_with_its_most_similar_new_one():
    a, b = guide("a"), guide("b", [f"B's line {n}, about queues." for n in range(20)])
    a2 = dataclasses.replace(a, slug="a-2", title="Caching, renamed")
    b2 = guide("b-2", [f"B's line {n}, about queues." for n in range(18)] + ["Two", "new"])
    assert states([b2, a2], [record(a), record(b)]) == {
        ("a", "a-2"): State.FILE_CHANGED,
        ("b", "b-2"): State.FILE_CHANGED,
    }


def test_comparing_two_large_files_of_a_repeated_pattern_takes_no_time_to_speak_of():
    """A character-by-character match (difflib) of two 16 KB files of "abab…" and "baba…"
    took 10 s, and its time grows with the square of their size: two 1 MB files, merged by
    a contributor, held a sync for about eleven hours. Chunks take time in proportion."""
    old = guide("old", ["ab" * 400_000])
    new = guide("new", ["ba" * 400_000])
    started = time.perf_counter()
    found = states([new], [record(old)])
    assert time.perf_counter() - started < 10
    assert found == {("old", None): State.FILE_DELETED, (None, "new"): State.NEW_FILE}
