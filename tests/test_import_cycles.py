"""Data flows one way: no import cycle inside `qa/`, counting imports inside functions too.

A function-local import hides a cycle from Python (it only runs later) but not from the
design: two modules that need each other are one module split in two. Every module is
parsed, never imported, so the check is cheap and sees every import statement.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "qa"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The qa.* modules `path` imports anywhere in its body (a `from qa.x import y`
    counts as qa.x.y when that is a module, else as qa.x)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in modules else target)
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: _imports(path, name, modules) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), as a
    readable path through it: a -> b -> ... -> a."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(_path_through(sorted(component), graph))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _path_through(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A cycle from the component's first module back to itself, for the message."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for succ in sorted(graph[node] & members):
            if succ == start:
                return paths[node] + [start]
            if succ not in paths:
                paths[succ] = paths[node] + [succ]
                queue.append(succ)
    return component


def test_the_checker_finds_and_names_a_cycle():
    graph = {"qa.a": {"qa.b"}, "qa.b": {"qa.c"}, "qa.c": {"qa.a"}, "qa.d": {"qa.a"}}
    assert cycles(graph) == [["qa.a", "qa.b", "qa.c", "qa.a"]]
    assert cycles({"qa.a": {"qa.b"}, "qa.b": set()}) == []


def test_function_local_and_relative_imports_count(tmp_path):
    source = "def later():\n    from qa.store import CorpusIndex\n    from . import cite\n"
    (tmp_path / "mod.py").write_text(source)
    found = _imports(tmp_path / "mod.py", "qa.mod", {"qa.store", "qa.cite", "qa.mod"})
    assert found == {"qa.store", "qa.cite"}


def test_the_qa_package_has_no_import_cycles():
    graph = import_graph()
    assert "qa.store" in graph and "qa.evaluate.report" in graph  # the walk found the package
    found = cycles(graph)
    assert not found, "import cycles in qa/: " + "; ".join(" -> ".join(c) for c in found)
