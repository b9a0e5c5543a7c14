"""Shared fixtures: Hypothesis profiles and the optional shared corpus."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings

# A quick profile by default, for local runs. CI (.ci/run) runs the tests
# under coverage with HYPOTHESIS_PROFILE=ci (100 examples for every property),
# then the core properties (`core`: the round trip, conflicts, merges and the
# merge's rules, JSON, CommonMark) again without coverage, thoroughly, with HYPOTHESIS_PROFILE=core
# (1,000 examples each, and every case of the exhaustive checks): coverage
# needs each line run once, the properties many examples, and tracing every
# line costs twice the time. HYPOTHESIS_PROFILE=deep is for long runs by hand.
_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("quick", max_examples=100, deadline=None)
# The packages' own test runs (.ci/package) check what ships and other
# Pythons, not the properties again: a few examples each.
settings.register_profile("package", max_examples=20, deadline=None)
for _name in ("ci", "core"):
    settings.register_profile(
        _name, max_examples=100, deadline=None, suppress_health_check=_SLOW_IS_FINE
    )
settings.register_profile(
    "deep", max_examples=50_000, deadline=None, suppress_health_check=_SLOW_IS_FINE
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "quick")
settings.load_profile(PROFILE)

#: How many examples the core properties take: more than the others in the
#: thorough runs.
CORE_EXAMPLES = {"core": 1000, "deep": 50_000}.get(PROFILE, settings().max_examples)
#: Whether exhaustive checks take every case (else an even sample of them).
THOROUGH = PROFILE in {"core", "deep"}

_Test = TypeVar("_Test", bound=Callable[..., Any])


def core(test: _Test) -> _Test:
    """A core property (above ``@given``): `CORE_EXAMPLES` examples, and
    marked ``core``, which CI runs thoroughly (``pytest -m core``)."""
    marked: _Test = pytest.mark.core(settings(max_examples=CORE_EXAMPLES)(test))
    return marked


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


def wait_for_the_clock(root: Path) -> None:
    """Until the file system's clock is past every change of the files and
    folders, the cache's included, so that the next run may keep what it
    reads (with the stat cache's margin patched to none). The clock is read off a file beside
    the root: one inside would change its folder."""
    latest = max(
        max(path.stat().st_ctime_ns, path.stat().st_mtime_ns) for path in [root, *root.rglob("*")]
    )
    probe = root.with_name(root.name + ".probe")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe.write_bytes(b"")
        if probe.stat().st_mtime_ns > latest:
            break
        time.sleep(0.005)
    probe.unlink()
