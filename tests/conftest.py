"""Shared fixtures: Hypothesis profiles and the optional shared corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI runs every property on at least 1,000 examples; `--hypothesis-profile=deep`
# is for long runs by hand.
settings.register_profile(
    "ci",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "deep",
    max_examples=50_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "seed.md"


def shared_corpus_files() -> list[Path]:
    corpus = SHARED / "corpus" / "ai_info"
    return sorted(corpus.rglob("*.md")) if corpus.is_dir() else []


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    files = shared_corpus_files()
    if not files:
        pytest.skip(f"the shared corpus is not present at {SHARED / 'corpus' / 'ai_info'}")
    return files
