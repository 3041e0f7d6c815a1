"""MVP006: the training data meets the data contract, checked by the kit's own validation."""

from __future__ import annotations

from .findings import Finding, failed, passed, warned
from .project import Project


def contract_validates(project: Project) -> Finding:
    """Validate the configured training data (the ``data`` setting: the example data by default)."""
    from ..data import load_table
    from ..samples import is_sample_file
    from ..validation import validate_frame  # imports Great Expectations: only when this runs

    contract, path = project.contract, project.settings.data
    report = validate_frame(load_table(path, contract), contract, source=str(path))
    if report.success and is_sample_file(path, contract, rows=report.rows):
        return warned(
            f"{report.source}: {report.rows} rows made from the contract by `sample-data`, not "
            "real data: the model proves the pipeline runs, not that it learns anything; "
            "commit a sample of your data or set the TRAINING_DATA_URL secret for CI"
        )
    if report.success:
        return passed(f"{report.source}: {report.rows} rows, {report.checks} checks")
    failures = report.failures
    summary = f"{report.source}: {len(failures)} of {report.checks} checks failed"
    return failed(summary, *(f"{f.column or '(table)'}: {f.rule}" for f in failures))
