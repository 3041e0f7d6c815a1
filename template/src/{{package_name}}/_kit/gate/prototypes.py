"""Checks on prototypes: notebooks stay in scratch/ without outputs; timeboxes are kept.

A prototype records its timebox near its top (a notebook's first cell, a script's first lines)
as ``Timebox: 2 days`` (counted from the day git first saw the file) or ``Timebox: until
2026-03-31``.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import PurePosixPath

from .findings import Finding, failed, passed, warned
from .project import SCRATCH, Project, git

TIMEBOX = re.compile(
    r"timebox:\s*(?:until\s+(?P<until>\d{4}-\d{2}-\d{2})|(?P<count>\d+)\s*(?P<unit>day|week)s?)",
    re.IGNORECASE,
)
SCRIPT_HEAD_LINES = 10


def notebooks(project: Project) -> Finding:
    """MVP002: every notebook is under scratch/ and has no outputs."""
    scratch = PurePosixPath(SCRATCH)
    problems = []
    for name in project.files_under(".", ".ipynb"):
        cells = _cells(project.read(name))
        if scratch not in PurePosixPath(name).parents:
            problems.append(f"{name} is outside {scratch}/")
        if cells is None:
            problems.append(f"{name} is not a valid notebook")
        elif any(cell.get("outputs") or cell.get("execution_count") is not None for cell in cells):
            problems.append(f"{name} has outputs")
    return failed(*problems) if problems else passed()


def timeboxes(project: Project) -> Finding:
    """MVP013: warn about prototypes without a timebox or past it."""
    today, problems = date.today(), []
    prototypes = [
        name
        for suffix in (".ipynb", ".py")
        for name in project.files_under(SCRATCH, suffix)
        if not PurePosixPath(name).name.startswith("__")
    ]
    for name in prototypes:
        deadline = _deadline(project, name)
        if deadline is None:
            problems.append(f"{name} records no valid timebox")
        elif deadline < today:
            problems.append(f"{name}: timebox ended {deadline.isoformat()}")
    if problems:
        return warned(*problems)
    return passed(f"{len(prototypes)} prototype(s) within their timebox")


def _cells(text: str) -> list[dict] | None:
    """A notebook's cells, or None when the text is not a notebook."""
    try:
        cells = json.loads(text).get("cells")
    except (json.JSONDecodeError, AttributeError):
        return None
    if isinstance(cells, list) and all(isinstance(cell, dict) for cell in cells):
        return cells
    return None


def _deadline(project: Project, name: str) -> date | None:
    """The last day of the prototype's timebox, or None when it records none (or no valid one)."""
    match = TIMEBOX.search(_head(project.read(name), name).replace("*", ""))
    if match is None:
        return None
    if match["until"]:
        try:
            return date.fromisoformat(match["until"])
        except ValueError:
            return None
    days = int(match["count"]) * (7 if match["unit"].lower() == "week" else 1)
    return _first_committed(project, name) + timedelta(days=days)


def _head(text: str, name: str) -> str:
    """A notebook's first cell, or a script's first lines: where the timebox is written."""
    if not name.endswith(".ipynb"):
        return "\n".join(text.splitlines()[:SCRIPT_HEAD_LINES])
    cells = _cells(text) or [{}]
    source = cells[0].get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _first_committed(project: Project, name: str) -> date:
    """The author date of the first commit (on any branch) that added the file, else today."""
    log = git(project.root, "log", "--all", "--diff-filter=A", "--format=%as", "--", name)
    dates = log.split()
    return date.fromisoformat(dates[-1]) if dates else date.today()
