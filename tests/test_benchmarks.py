"""The benchmark scripts run (at tiny sizes); their timings are not checked here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BENCHMARKS = ROOT / "benchmarks"


@pytest.mark.parametrize(
    "arguments",
    [
        ["peers.py", "--quick", "--json", "{tmp}/peers.json"],
        ["peers.py", "--quick", "--folder", "{examples}", "--json", "{tmp}/peers.json"],
        ["corpus_speed.py", "{tmp}/empty"],
        ["cli_scale.py", "--count", "30"],
        ["synthetic.py", "{tmp}/docs", "--count", "5"],
        ["html_speed.py", "{tmp}/absent"],
        ["collection_scale.py", "--count", "30", "--rounds", "1"],
        ["collection_check.py", "{tmp}"],
        ["dask_scale.py", "--count", "20", "--blocksize", "5"],
        ["site_build.py", "--count", "20"],
        ["merge_scale.py", "--rounds", "1", "--sizes", "10", "40"],
        ["feeds_out.py", "{examples}", "--json", "{tmp}/feeds.json"],
        ["notes_speed.py", "{tmp}/absent", "--rounds", "1", "--count", "20"],
        ["import_speed.py", "--count", "30", "--rounds", "1"],
        ["index_speed.py", "--folder", "{examples}", "--copies", "1", "--rounds", "1"],
        ["site_speed.py", "--folder", "{examples}", "--copies", "1", "--rounds", "1"],
        ["cache_speed.py", "--folder", "{examples}", "--copies", "1", "--rounds", "1"],
    ],
)
def test_benchmark_script_runs(arguments: list[str], tmp_path: Path) -> None:
    argv = [
        argument.replace("{tmp}", str(tmp_path)).replace("{examples}", str(ROOT / "examples"))
        for argument in arguments
    ]
    # Not measured by coverage, which the README's test command has reach
    # subprocesses: the library code they run is measured by the other tests,
    # and tracing it would double their time.
    unmeasured = {
        name: value for name, value in os.environ.items() if not name.startswith("COVERAGE_")
    }
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / argv[0]), *argv[1:]],
        env=unmeasured,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
