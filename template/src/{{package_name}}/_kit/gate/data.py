"""MVP006: the training data meets the data contract, checked by the project's own ``validate``."""

from __future__ import annotations

from .findings import Finding, failed, passed
from .project import Project


def contract_validates(project: Project) -> Finding:
    """Validate the configured training data (the example data unless settings say otherwise)."""
    report = project.package_json("validate", "--format", "json")
    if report["success"]:
        return passed(f"{report['source']}: {report['rows']} rows, {report['checks']} checks")
    failures = report["failures"]
    summary = f"{report['source']}: {len(failures)} of {report['checks']} checks failed"
    return failed(summary, *(f"{f['column'] or '(table)'}: {f['rule']}" for f in failures))
