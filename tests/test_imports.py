"""The package's modules import one another along the pipeline's flow, never in a loop."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "estate_planner"


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, deferred imports included, imports
    under ``if TYPE_CHECKING`` left out (they never run)."""
    files = {p: ".".join(p.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
             for p in ROOT.rglob("*.py")}  # fmt: skip
    modules = set(files.values())
    graph: dict[str, set[str]] = {m: set() for m in modules}

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for path, module in files.items():
        tree = ast.parse(path.read_text())
        skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}  # fmt: skip
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for name in names:
                target = owner(name) if name.startswith("estate_planner") else None
                while target and target != "estate_planner":
                    if target != module and not module.startswith(target + "."):
                        graph[module].add(target)
                    target = target.rpartition(".")[0]
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done:
            return None
        for nxt in sorted(graph[node]):
            found = visit(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_the_package_modules() -> None:
    graph = import_graph()
    assert "estate_planner.stages.inputs" in graph["estate_planner.pipeline"]  # the graph is read
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_writing_the_ranking_loads_neither_the_optimiser_nor_scipy_optimize() -> None:
    code = (
        "import sys, estate_planner.outputs.tables, estate_planner.outputs.manifest;"
        "print(sorted(m for m in ('estate_planner.optimise', 'scipy.optimize', "
        "'estate_planner.pipeline') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def code_lines(path: Path) -> int:
    """Lines of code: docstrings, comments and blank lines aside."""
    source = path.read_text()
    docs: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return sum(
        1
        for number, line in enumerate(source.splitlines(), 1)
        if number not in docs and line.strip() and not line.strip().startswith("#")
    )


def test_modules_are_small_or_say_why_not() -> None:
    """Over 400 lines of code only where one cohesive job needs it, said in the docstring."""
    long = {
        str(p.relative_to(ROOT.parent)): code_lines(p)
        for p in ROOT.rglob("*.py")
        if code_lines(p) > 400
    }
    unexplained = [
        name for name in long
        if "Over 400 lines of code because" not in (ast.get_docstring(ast.parse(
            (ROOT.parent / name).read_text())) or "")
    ]  # fmt: skip
    assert not unexplained, f"long modules without a reason: {unexplained} ({long})"
    assert len(long) <= 3, long


def test_the_public_api_lists_what_it_offers() -> None:
    """``__all__`` names resolve, and ``dir(estate_planner)`` shows the lazy ones too."""
    import estate_planner

    assert set(estate_planner.__all__) <= set(dir(estate_planner))
    for name in estate_planner.__all__:
        assert getattr(estate_planner, name) is not None
    assert {"transit_time_matrix", "travel_time_matrix", "graph_from_osm_file"} <= set(
        estate_planner.__all__
    )
