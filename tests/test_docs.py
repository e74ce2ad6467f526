"""Every public function says what it takes and gives (numpydoc), the examples in
docstrings run, the user guide and API reference build offline with warnings as errors,
every public name is in the API reference, and the scenario reference names every key."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import re
import shutil
import subprocess
import sys
import tomllib
import zlib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from estate_planner.scenario import EditConfig, Scenario

ROOT = Path(__file__).resolve().parent.parent / "estate_planner"
DOCS = ROOT.parent / "docs"


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


# -- the user guide and API reference -------------------------------------------------


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the docs once, offline, with warnings as errors (a renamed function, a broken
    cross-reference or a page outside every toctree fails)."""
    out = tmp_path_factory.mktemp("docs")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(out / ".doctrees"), str(DOCS), str(out)],
        capture_output=True, text=True, cwd=ROOT.parent, check=False,
    )  # fmt: skip
    assert build.returncode == 0, f"sphinx-build failed:\n{build.stderr[-5000:]}"
    return out


def inventory(built: Path) -> set[str]:
    """The object names in Sphinx's ``objects.inv`` (four header lines, then zlib)."""
    raw = (built / "objects.inv").read_bytes()
    body = raw.split(b"\n", 4)[4]
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode().splitlines()}


def public_names() -> dict[str, Any]:
    """``estate_planner.__all__`` and, per public module, the functions and classes in its
    ``__all__`` (or else those it defines without a leading underscore); constants are
    left to their module's page."""
    import estate_planner

    names = {f"estate_planner.{n}": getattr(estate_planner, n)
             for n in estate_planner.__all__ if n != "__version__"}  # fmt: skip
    for path in public_modules():
        dotted = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
        if dotted == "estate_planner":
            continue
        module = importlib.import_module(dotted)
        members = getattr(module, "__all__", None)
        if members is None:
            members = [n for n, o in vars(module).items()
                       if not n.startswith("_") and (inspect.isfunction(o) or inspect.isclass(o))
                       and o.__module__ == dotted]  # fmt: skip
        names |= {f"{dotted}.{n}": getattr(module, n) for n in members
                  if inspect.isfunction(getattr(module, n)) or inspect.isclass(getattr(module, n))}  # fmt: skip
    return names


def test_the_docs_build_offline_with_warnings_as_errors(built_docs: Path) -> None:
    assert (built_docs / "index.html").is_file()
    assert (built_docs / "guide" / "scenario.html").is_file()
    assert (built_docs / "examples" / "01_demo_pipeline.html").is_file()


def test_every_public_name_is_in_the_api_reference(built_docs: Path) -> None:
    documented = inventory(built_docs)
    missing = []
    for name, obj in public_names().items():
        home = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
        if name not in documented and home not in documented:
            missing.append(name)
    assert not missing, "not in the API reference:\n" + "\n".join(sorted(missing))


def test_the_public_names_include_the_entry_points() -> None:
    names = public_names()
    assert {"estate_planner.run_scenario", "estate_planner.travel_time_matrix",
            "estate_planner.travel.travel_time_matrix"} <= set(names)  # fmt: skip


def test_the_guide_globs_its_pages() -> None:
    """A helper adds a page to the guide by adding ``docs/guide/<topic>.md``: no list to edit."""
    index = (DOCS / "guide" / "index.md").read_text(encoding="utf-8")
    assert ":glob:" in index


def test_the_python_guide_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python blocks of docs/guide/python.md, run in order from a copy of the repository's
    data folder."""
    page = (DOCS / "guide" / "python.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert code, "docs/guide/python.md has no Python example"
    shutil.copytree(ROOT.parent / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    for block in code:
        exec(compile(block, "docs/guide/python.md", "exec"), namespace)
    assert (tmp_path / "maps" / "four-hubs" / "ranking.csv").is_file()
    assert len(namespace["choice"].chosen) == 3


# -- the scenario reference (docs/guide/scenario.md) -----------------------------------


def model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        keys.add(prefix + name)
        inner = field.annotation
        for candidate in (inner, *getattr(inner, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                keys |= model_keys(candidate, f"{prefix}{name}.")
    return keys


def toml_keys(data: Any, prefix: str = "") -> set[str]:
    keys = set()
    items = data.items() if isinstance(data, dict) else []
    for name, value in items:
        keys.add(prefix + name)
        if isinstance(value, dict) and not name.endswith(("weights", "columns", "kmh", "input_dates")):
            keys |= toml_keys(value, f"{prefix}{name}.")
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                keys |= toml_keys(item, f"{prefix}{name}.")
    return keys


def test_the_scenario_reference_names_every_key_and_only_real_ones() -> None:
    page = (DOCS / "guide" / "scenario.md").read_text(encoding="utf-8")
    documented: set[str] = set()
    for block in re.findall(r"```toml\n(.*?)```", page, flags=re.DOTALL):
        documented |= toml_keys(tomllib.loads(block))
    # edits are documented with one example per action; every field shows up once
    expected = model_keys(Scenario) | {f"edits.{k}" for k in EditConfig.model_fields}
    assert expected - documented == set(), "not in docs/guide/scenario.md"
    assert documented - expected == set(), "in docs/guide/scenario.md but not in the scenario model"
