"""Checks on the code: the scratch boundary, a unit test module per module, an integration test."""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from .findings import Finding, failed, passed
from .project import GateError, Project

# Calls that load code by module name or file path: the ways around a plain `import scratch`.
LOADERS = frozenset(
    {"import_module", "__import__", "run_module", "run_path", "spec_from_file_location"}
)
PATH_EDITS = frozenset({"append", "insert", "extend"})
# A module name or path that points into scratch/: "scratch.x", "../scratch/x.py".
SCRATCH = re.compile(r"(^|[./\\])scratch($|[./\\])")


def scratch_imports(project: Project) -> Finding:
    """MVP001: no import of scratch/ in src/ or tests/, including importlib and sys.path tricks."""
    folders = (project.config.src, project.path("tests"))
    leaks = [
        f"{name}:{line} imports scratch"
        for folder in folders
        for name in project.files_under(folder, ".py")
        for line in _scratch_lines(project.read(name), name)
    ]
    return failed(*leaks) if leaks else passed()


def unit_test_modules(project: Project) -> Finding:
    """MVP003: src/<pkg>/x.py has tests/unit/test_x.py (sub/x.py has tests/unit/sub/test_x.py)."""
    src, tests = PurePosixPath(project.config.src), PurePosixPath(project.path("unit_tests"))
    missing = []
    for name in project.files_under(str(src), ".py"):
        module = PurePosixPath(name).relative_to(src)
        expected = str(tests / module.parent / f"test_{module.name}")
        if not module.name.startswith("__") and expected not in project.files:
            missing.append(f"{expected} is missing (tests {name})")
    return failed(*missing) if missing else passed()


def integration_test(project: Project) -> Finding:
    """MVP004: at least one test function in the integration test folder."""
    folder = project.path("integration_tests")
    count = sum(
        _count_tests(project.read(name), name)
        for name in project.files_under(folder, ".py")
        if PurePosixPath(name).name.startswith("test_")
    )
    if not count:
        return failed(f"no test_* function in {folder}/test_*.py")
    return passed(f"{count} test(s) in {folder}/")


def _parse(source: str, name: str) -> ast.Module:
    try:
        return ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise GateError(f"{name}:{exc.lineno}: cannot parse: {exc.msg}") from exc


def _scratch_lines(source: str, name: str) -> list[int]:
    tree = _parse(source, name)
    return sorted({node.lineno for node in ast.walk(tree) if _reaches_scratch(node)})


def _reaches_scratch(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "scratch" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] == "scratch"
    if isinstance(node, ast.Call) and _loads_code(node.func):
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        return any(_mentions_scratch(argument) for argument in arguments)
    return False


def _loads_code(func: ast.expr) -> bool:
    """importlib.import_module(...), __import__(...), runpy.run_path(...), sys.path.insert(...)."""
    if isinstance(func, ast.Name):
        return func.id in LOADERS
    if not isinstance(func, ast.Attribute):
        return False
    on_sys_path = ast.unparse(func.value) == "sys.path"
    return func.attr in LOADERS or (func.attr in PATH_EDITS and on_sys_path)


def _mentions_scratch(argument: ast.expr) -> bool:
    strings = (node.value for node in ast.walk(argument) if isinstance(node, ast.Constant))
    return any(isinstance(value, str) and SCRATCH.search(value) for value in strings)


def _count_tests(source: str, name: str) -> int:
    return sum(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")
        for node in ast.walk(_parse(source, name))
    )
