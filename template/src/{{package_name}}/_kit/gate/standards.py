"""Checks on the project's own standards: test coverage and ruff's protective rules."""

from __future__ import annotations

import io
from fnmatch import fnmatch
from typing import Any

from .findings import Finding, failed, passed
from .project import Project, load_toml

# Bare and blind except, try-except-pass/continue, print, imports of scratch, god functions,
# global state; each with the shortest selector of its linter ("B" is bugbear, not BLE).
PROTECTIVE_RULES = {
    "E722": "E",
    "BLE001": "BLE",
    "S110": "S",
    "S112": "S",
    "T201": "T",
    "TID251": "TID",
    "C901": "C",
    "PLR0911": "PL",
    "PLR0912": "PL",
    "PLR0913": "PL",
    "PLR0915": "PL",
    "PLW0603": "PL",
}
RUFF_DEFAULT_SELECT = ("E4", "E7", "E9", "F")


def coverage(project: Project) -> Finding:
    """MVP005: the last test run covered at least [tool.coverage.report] fail_under."""
    data = project.root / project.path("coverage_data")
    if not data.is_file():
        return failed(f"no coverage data ({data.name}): run `uv run pytest` first")
    import coverage as coverage_py  # a dev dependency; only this check needs it

    measured = coverage_py.Coverage(
        data_file=str(data), config_file=str(project.root / "pyproject.toml")
    )
    try:
        measured.load()
        total = measured.report(file=io.StringIO(), ignore_errors=True)
    except coverage_py.exceptions.CoverageException as exc:
        return failed(f"{data.name}: {exc}")
    threshold = float(measured.get_option("report:fail_under") or 0)
    precision = int(measured.get_option("report:precision") or 0)
    summary = f"{total:.{precision}f}% covered, threshold {threshold:g}% (fail_under)"
    return passed(summary) if round(total, precision) >= threshold else failed(summary)


def ruff_rules(project: Project) -> Finding:
    """MVP011: the protective rules are selected, not ignored, and scratch is a banned import."""
    lint = _ruff_lint_settings(project)
    selected = [*lint.get("select", RUFF_DEFAULT_SELECT), *lint.get("extend-select", [])]
    ignored = [*lint.get("ignore", []), *lint.get("extend-ignore", [])]
    problems = [
        f"{rule} is not selected, or is ignored"
        for rule in PROTECTIVE_RULES
        if _specificity(rule, selected) <= _specificity(rule, ignored)
    ]
    probes = (f"{project.config.src}/new_module.py", f"{project.path('tests')}/test_new.py")
    per_file = {**lint.get("per-file-ignores", {}), **lint.get("extend-per-file-ignores", {})}
    problems += [
        f'per-file-ignores "{pattern}" turns off {rule} in src/ or tests/'
        for pattern, rules in per_file.items()
        if any(fnmatch(probe, pattern) for probe in probes)
        for rule in PROTECTIVE_RULES
        if _specificity(rule, rules) >= 0
    ]
    if "scratch" not in lint.get("flake8-tidy-imports", {}).get("banned-api", {}):
        problems.append('[tool.ruff.lint.flake8-tidy-imports.banned-api] lacks "scratch"')
    return failed(*problems) if problems else passed()


def _ruff_lint_settings(project: Project) -> dict[str, Any]:
    """The [lint] table ruff uses: .ruff.toml, then ruff.toml, then pyproject.toml."""
    for name in (".ruff.toml", "ruff.toml"):
        if (project.root / name).is_file():
            return load_toml(project.root / name).get("lint", {})
    pyproject = load_toml(project.root / "pyproject.toml")
    return pyproject.get("tool", {}).get("ruff", {}).get("lint", {})


def _specificity(rule: str, selectors: list[str]) -> int:
    """How specifically selectors match a rule: -1 none, 0 "ALL", else the selector's length.

    Ruff lets the most specific selector win, so ``ignore = ["E"]`` with ``select = ["E722"]``
    keeps E722 on; on a tie the ignore wins.
    """
    linter = PROTECTIVE_RULES[rule]
    lengths = [
        0 if selector == "ALL" else len(selector)
        for selector in selectors
        if selector == "ALL" or (rule.startswith(selector) and len(selector) >= len(linter))
    ]
    return max(lengths, default=-1)
