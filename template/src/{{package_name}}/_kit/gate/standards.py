"""Checks on the project's own standards: test coverage and ruff's protective rules."""

from __future__ import annotations

import io
import posixpath
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

from .. import evidence
from .findings import Finding, failed, passed
from .project import COVERAGE_DATA, SRC, TESTS, GateError, Project, load_toml

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
MAX_EXTENDS = 10


def tests_pass(project: Project) -> Finding:
    """MVP016: the whole suite passed on the tree as it is now (the kit records each run)."""
    stale = evidence.problem(project.root)
    return failed(stale) if stale else passed("the whole suite passed on the current tree")


def coverage(project: Project) -> Finding:
    """MVP005: a passing run of the current tree covered at least fail_under of your code."""
    stale = evidence.problem(project.root)
    if stale:
        return failed(f"no coverage to trust: {stale}")
    data = project.root / COVERAGE_DATA
    found = evidence.read(project.root)
    if not data.is_file() or found is None or data.stat().st_mtime < found.started:
        return failed(
            f"no coverage data ({data.name}) from the last run: run `{evidence.WHOLE_RUN}`"
        )
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
    """MVP011: the protective rules are selected, not ignored, and scratch is a banned import.

    Follows ruff's ``extend`` chain (your pyproject.toml extends the kit's ruff.toml): a later
    ``select`` starts over, ``ignore`` and ``extend-select`` adjust, ``per-file-ignores`` and
    ``banned-api`` replace, ``extend-per-file-ignores`` add.
    """
    layers = _ruff_layers(project)
    problems = [
        f"{rule} is not selected, or is ignored"
        for rule in PROTECTIVE_RULES
        if not _enabled(rule, [lint for _, lint in layers])
    ]
    probes = (f"{SRC}/new_module.py", f"{TESTS}/test_new.py")
    problems += [
        f'per-file-ignores "{pattern}" turns off {rule} in src/ or tests/'
        for folder, pattern, rules in _per_file_ignores(layers)
        if any(_matches(probe, folder, pattern) for probe in probes)
        for rule in PROTECTIVE_RULES
        if _specificity(rule, rules) >= 0
    ]
    banned: dict[str, Any] = {}
    for _, lint in layers:
        banned = lint.get("flake8-tidy-imports", {}).get("banned-api", banned)
    if "scratch" not in banned:
        problems.append('[tool.ruff.lint.flake8-tidy-imports.banned-api] lacks "scratch"')
    return failed(*problems) if problems else passed()


def _ruff_layers(project: Project) -> list[tuple[str, dict[str, Any]]]:
    """(folder relative to the root, [lint] table) of each ruff config, the extended ones first.

    Ruff reads .ruff.toml, then ruff.toml, then pyproject.toml's [tool.ruff] at the root.
    """
    root = project.root.resolve()
    first = next(
        (root / name for name in (".ruff.toml", "ruff.toml") if (root / name).is_file()),
        root / "pyproject.toml",
    )
    layers: list[tuple[str, dict[str, Any]]] = []
    path: Path | None = first
    while path is not None:
        if len(layers) == MAX_EXTENDS:
            raise GateError(f"{first.name}: ruff's extend chain is longer than {MAX_EXTENDS}")
        raw = load_toml(path)
        ruff = raw.get("tool", {}).get("ruff", {}) if path.name == "pyproject.toml" else raw
        folder = posixpath.relpath(path.parent.resolve().as_posix(), root.as_posix())
        layers.insert(0, (folder, ruff.get("lint", {})))
        extend = ruff.get("extend")
        path = path.parent / Path(extend).expanduser() if isinstance(extend, str) else None
    return layers


def _enabled(rule: str, lints: list[dict[str, Any]]) -> bool:
    """Whether ruff runs ``rule`` after every layer's select, extend-select and ignore."""
    on = _specificity(rule, list(RUFF_DEFAULT_SELECT)) >= 0
    for lint in lints:
        select = lint.get("select")
        chosen = _specificity(rule, [*(select or []), *lint.get("extend-select", [])])
        ignored = _specificity(rule, [*lint.get("ignore", []), *lint.get("extend-ignore", [])])
        if select is not None or chosen > ignored:
            on = chosen > ignored
        elif ignored >= 0:
            on = False
    return on


def _per_file_ignores(
    layers: list[tuple[str, dict[str, Any]]],
) -> list[tuple[str, str, list[str]]]:
    """(folder of its config, pattern, rules) of each per-file ignore that applies."""
    replaced: list[tuple[str, str, list[str]]] = []
    extended: list[tuple[str, str, list[str]]] = []
    for folder, lint in layers:
        if "per-file-ignores" in lint:
            replaced = [(folder, *item) for item in lint["per-file-ignores"].items()]
        extended += [(folder, *item) for item in lint.get("extend-per-file-ignores", {}).items()]
    return replaced + extended


def _matches(probe: str, folder: str, pattern: str) -> bool:
    """Ruff matches a pattern against the file's name, and against its path from the config."""
    anchored = posixpath.normpath(posixpath.join(folder, pattern))
    return fnmatch(PurePosixPath(probe).name, pattern) or fnmatch(probe, anchored)


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
