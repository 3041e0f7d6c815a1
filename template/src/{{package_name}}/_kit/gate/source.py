"""Checks on the code: the scratch boundary, unit tests for your modules, an integration test."""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from .findings import Finding, failed, passed
from .project import INTEGRATION_TESTS, KIT, SRC, TESTS, UNIT_TESTS, GateError, Project

# Calls that load code by module name or file path: the ways around a plain `import scratch`.
LOADERS = frozenset(
    {"import_module", "__import__", "run_module", "run_path", "spec_from_file_location"}
)
PATH_EDITS = frozenset({"append", "insert", "extend"})
# A module name or path that points into scratch/: "scratch.x", "../scratch/x.py".
SCRATCH = re.compile(r"(^|[./\\])scratch($|[./\\])")


def scratch_imports(project: Project) -> Finding:
    """MVP001: no import of scratch/ in src/ or tests/, including importlib and sys.path tricks."""
    folders = ("src", TESTS)
    leaks = [
        f"{name}:{line} imports scratch"
        for folder in folders
        for name in project.files_under(folder, ".py")
        for line in _scratch_lines(project.read(name), name)
    ]
    return failed(*leaks) if leaks else passed()


def unit_test_modules(project: Project) -> Finding:
    """MVP003: your src/<pkg>/x.py has tests/unit/test_x.py (sub/x.py: tests/unit/sub/test_x.py).

    The kit (``_kit/``) has its own tests; ``commands.py`` needs tests once it adds a command.
    """
    src, tests = PurePosixPath(SRC), PurePosixPath(UNIT_TESTS)
    missing = []
    for name in _user_modules(project):
        module = PurePosixPath(name).relative_to(src)
        expected = str(tests / module.parent / f"test_{module.name}")
        if expected not in project.files:
            missing.append(f"{expected} is missing (tests {name})")
    return failed(*missing) if missing else passed()


def _user_modules(project: Project) -> list[str]:
    """src/<pkg>/ and its subpackages, except the kit, dunder files and an empty commands.py."""
    kit = PurePosixPath(KIT)
    return [
        name
        for name in project.files_under(SRC, ".py")
        if kit not in PurePosixPath(name).parents
        and not PurePosixPath(name).name.startswith("__")
        and not (name == f"{SRC}/commands.py" and not _registers_commands(project.read(name), name))
    ]


def _registers_commands(source: str, name: str) -> bool:
    """Whether ``register()`` does anything: a body of only a docstring (or pass) adds nothing."""
    for node in _parse(source, name).body:
        if isinstance(node, ast.FunctionDef) and node.name == "register":
            return not all(_is_placeholder(statement) for statement in node.body)
    return False


def _is_placeholder(statement: ast.stmt) -> bool:
    """A docstring, ``pass`` or ``...``."""
    if isinstance(statement, ast.Pass):
        return True
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def integration_test(project: Project) -> Finding:
    """MVP004: at least one test function in the integration test folder."""
    folder = INTEGRATION_TESTS
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
