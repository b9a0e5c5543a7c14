"""The shape of the code: layers that import only downwards, no import
circle, and no function too complex to follow (cyclomatic complexity at
most 15, as radon counts it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src" / "clipdoc"
COMPLEXITY_LIMIT = 15

#: Each module's layer: a module may import its own layer and those below.
#: The format core at the bottom; files, folders and collections on it;
#: the public modules of outside formats and helpers (and their registry)
#: above; the site; the command on top.
LAYERS = {
    "_core": 0,
    "_version": 0,
    "html": 0,  # HTML helpers over the model, used by indexes and the site
    "_storage": 1,
    "_api": 1,
    "feeds": 2,
    "notes": 2,
    "arrow": 2,
    "dask": 2,
    "conformance": 2,
    "_interop": 2,
    "_site": 3,
    "site": 3,
    "_cli": 4,
    "__main__": 4,
    "__init__": 4,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """The clipdoc modules ``name`` imports, at any depth of its code,
    ``if TYPE_CHECKING:`` blocks left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    checking: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            checking.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if node.module:
                found.add(target)
            else:  # from . import x: each x is a module
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in getattr(node, "names", [])]
            found.update(n for n in names if n.startswith("clipdoc"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {target for target in _imports(name, path) if target in modules}
        for name, path in modules.items()
    }


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return LAYERS["__init__"]
    return LAYERS[parts[1]]


def test_every_module_has_a_layer() -> None:
    for module in _modules():
        _layer(module)


def test_layers_import_only_downwards() -> None:
    wrong = [
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert wrong == []


def test_there_is_no_import_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: being walked, 2: done
    circles = []
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        state[start] = 1
        while stack:
            module, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                state[module] = 2
                stack.pop()
            elif state.get(target) == 1:
                path = [name for name, _ in stack]
                circles.append([*path[path.index(target) :], target])
            elif not state.get(target):
                state[target] = 1
                stack.append((target, iter(sorted(graph[target]))))
    assert circles == []


def test_no_function_is_too_complex() -> None:
    complexity = pytest.importorskip("radon.complexity", reason="radon is in the 'test' group")
    too_complex = []
    for path in sorted(SOURCE.rglob("*.py")):
        for block in complexity.cc_visit(path.read_text(encoding="utf-8")):
            if block.complexity > COMPLEXITY_LIMIT:
                where = path.relative_to(SOURCE.parent)
                too_complex.append(f"{where}:{block.lineno} {block.name} {block.complexity}")
    assert too_complex == []
