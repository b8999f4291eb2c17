"""Every hostile variant ends as exactly the outcome it declares; the table counts them.

``python -m tests.corpus.test_corpus`` prints the table (inputs tried, errors, flags, correct loads,
silent wrong numbers).
"""
from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from . import variants_files, variants_geo, variants_kwb, variants_odata
from ._kit import check, run

ALL = (variants_kwb.VARIANTS + variants_files.VARIANTS + variants_geo.VARIANTS)


@pytest.mark.parametrize("v", ALL, ids=[v.name for v in ALL])
def test_variant(v, tmp_path):
    check(v, run(v, tmp_path))


@pytest.mark.parametrize("v", variants_odata.VARIANTS, ids=[v.name for v in variants_odata.VARIANTS])
def test_odata_variant(v, odata_root):
    check(v, variants_odata.run_odata(v, odata_root))


def test_names_are_unique_and_the_corpus_is_large():
    names = [v.name for v in ALL + variants_odata.VARIANTS]
    assert len(names) == len(set(names))
    assert len(names) >= 150


def table() -> Counter:
    """Run every variant once and count the outcomes (any failed assertion is a silent wrong number)."""
    counts = Counter()
    with tempfile.TemporaryDirectory() as d:
        for i, v in enumerate(ALL):
            tmp = Path(d) / str(i)
            tmp.mkdir()
            counts[check(v, run(v, tmp))] += 1
        root = Path(d) / "odata"
        for v in variants_odata.VARIANTS:
            counts[check(v, variants_odata.run_odata(v, root))] += 1
    return counts


if __name__ == "__main__":
    c = table()
    print(f"inputs tried {sum(c.values())}, errors {c['error']}, flags {c['flag']}, correct loads {c['correct']}, "
          "silent wrong numbers 0", file=sys.stdout)
