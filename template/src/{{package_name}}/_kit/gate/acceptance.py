"""MVP012: the subject-matter experts' acceptance, recorded by you in ``ACCEPTANCE.toml``.

Each accepted model version is one entry::

    [[acceptance]]
    by = "Ana Lopez, head of dispatch"
    date = 2026-03-02
    model_version = "v3"
    notes = "Accepted for the north region pilot."
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from .findings import Finding, failed, passed
from .model import current_model
from .project import ACCEPTANCE, Project, load_toml


def acceptance_record(project: Project) -> Finding:
    name = ACCEPTANCE
    path = project.root / name
    if not path.is_file():
        return failed(f"{name} is missing")
    entries = load_toml(path).get("acceptance")
    if not isinstance(entries, list) or not entries:
        return failed(f"{name} has no [[acceptance]] entry")
    problems = [line for index, entry in enumerate(entries, 1) for line in _check(entry, index)]
    if problems:
        return failed(*(f"{name}: {problem}" for problem in problems))
    latest = max(entries, key=lambda entry: entry["date"])
    current = current_model(project).metadata
    if current is not None and latest["model_version"] != current.version:
        return failed(
            f"the newest acceptance is for model {latest['model_version']}, "
            f"but the current model is {current.version}"
        )
    return passed(f"model {latest['model_version']} accepted by {latest['by']} on {latest['date']}")


def _check(entry: object, index: int) -> Iterator[str]:
    where = f"[[acceptance]] entry {index}"
    if not isinstance(entry, dict):
        yield f"{where} is not a table"
        return
    if not _is_text(entry.get("by")):
        yield f"{where}: `by` must say who accepted"
    date_value = entry.get("date")
    if not isinstance(date_value, date) or isinstance(date_value, datetime):
        yield f"{where}: `date` must be a TOML date such as 2026-03-02"
    if not _is_text(entry.get("model_version")):
        yield f'{where}: `model_version` must name the accepted model version, such as "v3"'


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
