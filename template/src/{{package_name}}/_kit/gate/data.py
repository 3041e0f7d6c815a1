"""MVP006: the training data meets the data contract, checked by the kit's own validation."""

from __future__ import annotations

from .findings import Finding, failed, passed
from .project import Project


def contract_validates(project: Project) -> Finding:
    """Validate the configured training data (the ``data`` setting: the example data by default)."""
    from ..data import load_table
    from ..validation import validate_frame  # imports Great Expectations: only when this runs

    contract, path = project.contract, project.settings.data
    report = validate_frame(load_table(path, contract), contract, source=str(path))
    if report.success:
        return passed(f"{report.source}: {report.rows} rows, {report.checks} checks")
    failures = report.failures
    summary = f"{report.source}: {len(failures)} of {report.checks} checks failed"
    return failed(summary, *(f"{f.column or '(table)'}: {f.rule}" for f in failures))
