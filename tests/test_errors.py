"""One error story: every exception newsqa raises on purpose is a `NewsQAError`, and
library code never exits the process or `assert`s on data (asserts vanish under -O)."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from qa.errors import NewsQAError

PACKAGE = Path(__file__).resolve().parents[1] / "qa"
# qa.ui.app imports gradio (seconds); its module defines no exception classes.
SKIP_IMPORT = {"qa.ui.app"}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append((name, path))
    return out


def _defines_exception(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.ClassDef) and node.bases for node in ast.walk(tree))


@pytest.mark.parametrize("name", [n for n, p in _modules() if n not in SKIP_IMPORT and _defines_exception(p)])
def test_every_exception_class_derives_from_newsqa_error(name):
    module = importlib.import_module(name)
    for cls_name, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ == name and issubclass(cls, BaseException):
            assert issubclass(cls, NewsQAError), f"{name}.{cls_name} does not derive from NewsQAError"


def test_library_code_neither_exits_nor_asserts():
    found = []
    for _, path in _modules():
        relative = path.relative_to(PACKAGE).as_posix()
        if path.name == "__main__.py":  # `raise SystemExit(main())` is how a module runs as a program
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assert):
                found.append(f"{relative}:{node.lineno}: assert")
            elif isinstance(node, ast.Raise) and node.exc is not None:
                call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(call, ast.Name) and call.id == "SystemExit":
                    found.append(f"{relative}:{node.lineno}: raise SystemExit")
    assert not found, "\n".join(found)
