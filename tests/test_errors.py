"""One error hierarchy: every ``raise`` in the package raises an :class:`EstatePlannerError`
(those about a bad value also a :class:`ValueError`), except where a protocol or a
library decides the type, each listed below with its reason."""

from __future__ import annotations

import ast
import builtins
import importlib
from pathlib import Path

import estate_planner
from estate_planner._errors import EstatePlannerError, OptionError, OutputError

ROOT = Path(estate_planner.__file__).resolve().parent

#: (module, function) -> why a raise there is not an EstatePlannerError.
ALLOWED = {
    ("estate_planner", "__getattr__"):
        "a module's __getattr__ must raise AttributeError (PEP 562)",
    ("estate_planner.scenario", "_check_weights"):
        "called only from pydantic validators, which must raise ValueError; "
        "load_scenario turns the ValidationError into a ScenarioError",
    ("estate_planner._codec", "*"):
        "the cache's codec: a damaged or foreign entry (ValueError) is caught and rebuilt "
        "by the cache; a type it cannot store (TypeError) is a development error",
    ("estate_planner.explorer.changes", "_settings"):
        "an import-time check of the scenario schema (a development error)",
    ("estate_planner.explorer.changes", "<module>"):
        "an import-time check of the scenario schema (a development error)",
}

VALIDATORS = {"field_validator", "model_validator"}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")


def raises(path: Path) -> list[tuple[str, str, int, ast.expr]]:
    """(enclosing function, decorators, line, raised expression) for every ``raise X``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, str, int, ast.expr]] = []

    def walk(node: ast.AST, function: str, decorators: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                names = ",".join(
                    ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in child.decorator_list
                )
                walk(child, child.name, names)
            elif isinstance(child, ast.Raise) and child.exc is not None:
                found.append((function, decorators, child.lineno, child.exc))
                walk(child, function, decorators)
            else:
                walk(child, function, decorators)

    walk(tree, "<module>", "")
    return found


def raised_class(module: object, expr: ast.expr) -> object:
    """The class a ``raise`` names (``X(...)``, ``X``, ``mod.X(...)``), or None for a
    call of a function that builds the error."""
    target = expr.func if isinstance(expr, ast.Call) else expr
    parts: list[str] = []
    while isinstance(target, ast.Attribute):
        parts.insert(0, target.attr)
        target = target.value
    if not isinstance(target, ast.Name):
        return None
    parts.insert(0, target.id)
    value: object = vars(module).get(parts[0], getattr(builtins, parts[0], None))
    for part in parts[1:]:
        value = getattr(value, part, None)
    return value


def offenders() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        name = module_name(path)
        module = importlib.import_module(name)
        for function, decorators, line, expr in raises(path):
            cls = raised_class(module, expr)
            if not isinstance(cls, type):
                # a local variable (an error built earlier) or a function that builds
                # one: check it is an EstatePlannerError where it is built
                continue
            if issubclass(cls, EstatePlannerError):
                continue
            if any(v in decorators for v in VALIDATORS):
                continue  # pydantic validators raise ValueError; pydantic wraps it
            if (name, function) in ALLOWED or (name, "*") in ALLOWED:
                continue
            found.append(f"{path.relative_to(ROOT.parent)}:{line} raises {cls.__name__}")
    return found


def test_every_raise_is_one_of_ours() -> None:
    bad = offenders()
    assert not bad, "raise an EstatePlannerError subclass (see _errors.py):\n" + "\n".join(bad)


def test_the_walk_finds_a_bare_value_error(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f(x):\n    if x:\n        raise ValueError('no')\n    raise KeyError(x)\n")
    assert [(f, line) for f, _, line, _ in raises(module)] == [("f", 3), ("f", 4)]
    namespace = type(estate_planner)("m")
    assert raised_class(namespace, raises(module)[0][3]) is ValueError


def test_value_errors_stay_value_errors() -> None:
    """Code written against ``except ValueError`` keeps catching bad values."""
    from estate_planner import InfeasibleError, InputDataError, NetworkError, ScenarioError

    for cls in (ScenarioError, InputDataError, NetworkError, InfeasibleError, OptionError):
        assert issubclass(cls, ValueError) and issubclass(cls, EstatePlannerError)
    assert issubclass(OutputError, RuntimeError) and issubclass(OutputError, EstatePlannerError)

