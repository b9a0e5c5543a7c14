"""The doctests of public classes' methods.

`clipdoc/__init__.py` gives public classes the package as their module, so
pytest's doctest collection finds a class's own docstring there but skips
its methods (their globals are the private module's). They run here.
"""

from __future__ import annotations

import doctest
import inspect
from collections.abc import Callable
from typing import Any

import pytest

import clipdoc
from conftest import ROOT


def _methods_with_examples() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for name in clipdoc.__all__:
        public = getattr(clipdoc, name)
        if not inspect.isclass(public):
            continue
        for attribute, value in vars(public).items():
            function = value.fget if isinstance(value, property) else value
            function = getattr(function, "__func__", function)
            if inspect.isfunction(function) and ">>>" in (function.__doc__ or ""):
                found[f"{name}.{attribute}"] = function
    return found


METHODS = _methods_with_examples()


def test_the_methods_with_examples_are_found() -> None:
    assert {"Collection.select", "Collection.find", "Metadata.get"} <= set(METHODS)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_method_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # examples name files relative to the project
    function = METHODS[name]
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder(recurse=False).find(
        function, name, globs=dict(function.__globals__)
    ):
        runner.run(test)
    assert runner.failures == 0, f"{name}: {runner.failures} example(s) failed (output above)"
