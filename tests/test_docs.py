"""Every public function says what it takes and gives (numpydoc), and the examples in
docstrings run."""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "estate_planner"


def public_modules() -> list[Path]:
    """Package modules a user may import (none of whose path parts is private)."""
    return [
        p
        for p in sorted(ROOT.rglob("*.py"))
        if not any(part.startswith("_") and part != "__init__.py" for part in p.relative_to(ROOT).parts)
    ]


def abstract_methods() -> set[str]:
    """Methods documented once on the optimiser's problem interface."""
    from estate_planner.optimise import Problem

    return set(Problem.__abstractmethods__) | {"lower"}


def undocumented(path: Path, inherited: set[str]) -> list[str]:
    """Public functions and methods with arguments but no ``Parameters`` section."""
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        functions: list[tuple[str, ast.FunctionDef]] = []
        if isinstance(node, ast.FunctionDef):
            functions = [(node.name, node)]
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            functions = [
                (f"{node.name}.{f.name}", f)
                for f in node.body
                if isinstance(f, ast.FunctionDef) and f.name not in inherited
            ]
        for name, function in functions:
            if name.rpartition(".")[2].startswith("_"):
                continue
            args = [a for a in function.args.args + function.args.kwonlyargs
                    if a.arg not in ("self", "cls")]  # fmt: skip
            if args and "Parameters\n" not in (ast.get_docstring(function) or ""):
                where = path.relative_to(ROOT.parent) if path.is_relative_to(ROOT.parent) else path
                found.append(f"{where}:{function.lineno} {name}")
    return found


def test_every_public_function_has_numpydoc_parameters() -> None:
    inherited = abstract_methods()
    missing = [line for p in public_modules() for line in undocumented(p, inherited)]
    assert not missing, "no numpydoc Parameters section:\n" + "\n".join(missing)


def test_the_checker_finds_a_bare_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('def f(x):\n    """One line."""\n\n\ndef g():\n    """No arguments."""\n')
    assert [line.split()[-1] for line in undocumented(module, set())] == ["f"]


@pytest.mark.parametrize(
    "module",
    [".".join(p.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
     for p in [*public_modules(), ROOT / "cache.py", ROOT / "optimise" / "_base.py"]],
)  # fmt: skip
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
