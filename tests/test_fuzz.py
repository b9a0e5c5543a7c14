"""Fuzzing with a fixed budget: damaged real documents never crash clipdoc.

The mutations and the properties are those of fuzz/ (also used by the
atheris target there); see fuzz/README.md.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, ROOT

sys.path.insert(0, str(ROOT / "fuzz"))

from mutations import mutate
from properties import check_bytes, check_input

SEEDS = [EXAMPLE.read_text(encoding="utf-8")] + [
    path.read_bytes().decode("utf-8")
    for kind in ("valid", "canonical")
    for path in sorted((ROOT / "spec" / "tests" / kind).glob("*.md"))
]
#: How many damaged documents CI tries: the Hypothesis examples of the test
#: below, each applying up to eight mutations.
FUZZ_EXAMPLES = 1500

#: Inputs that once failed, kept so they never fail again.
REGRESSIONS = [
    # A backslash before a carriage return inside a body.
    "# t\n\n## x\n\n\\\r\n",
    # A fence closed in the written text but not after unescaping.
    "## 原始摘要\n  ```\n\\```\n",
    # Conflict markers before the title.
    "<<<<<<< HEAD\n# a\n=======\n# b\n>>>>>>> topic\n",
    # A timestamp outside the conflicts that one side reads in a duplicate
    # section: recovery rewrites it, so it must be reported (CD205).
    "# t\r\n<<<<<<< HEAD\n\n>>>>>>> topic\n\n<<<<<<< HEAD\n## 元数据\n=======\n>>>>>>> topic\n"
    "## 元数据\n\n- **保存时间**: 2025-05-06T08:03:26.000Z\n",
]


@settings(max_examples=max(FUZZ_EXAMPLES, settings().max_examples))
@given(
    seed=st.sampled_from(SEEDS),
    steps=st.integers(min_value=1, max_value=8),
    randomness=st.randoms(use_true_random=False),
)
def test_damaged_documents(seed: str, steps: int, randomness: random.Random) -> None:
    text = seed
    for _ in range(steps):
        text = mutate(text, randomness)
    check_input(text)


@given(st.binary(max_size=300) | st.sampled_from(SEEDS).map(lambda s: s.encode("utf-8")[:200]))
def test_raw_bytes(data: bytes) -> None:
    check_bytes(data)


@pytest.mark.parametrize("text", REGRESSIONS)
def test_regressions(text: str) -> None:
    check_input(text)


def test_every_seed_is_sound(tmp_path: Path) -> None:
    for text in SEEDS:
        check_input(text)
