"""Readiness results as a table for people and as JSON for machines."""

from __future__ import annotations

import json
from collections import Counter

from .checks import Result
from .findings import PASS

INDENT = " " * 16


def as_table(results: list[Result], phase: str, docs: str) -> str:
    lines = [f"MVP readiness, {phase} phase", "", f"{'ID':<8}{'STATUS':<8}CHECK"]
    for result in results:
        check, finding = result.check, result.finding
        lines.append(f"{check.id:<8}{finding.status:<8}{check.title}")
        lines += [INDENT + detail for detail in finding.details]
        if finding.status != PASS:
            lines.append(f"{INDENT}fix: {check.fix}")
            lines.append(f"{INDENT}see: {docs}#{check.anchor}")
    return "\n".join([*lines, "", _summary(results, phase)])


def as_json(results: list[Result], phase: str, docs: str) -> str:
    checks = [
        {
            "id": result.check.id,
            "title": result.check.title,
            "status": result.finding.status,
            "blocks": result.blocks,
            "details": list(result.finding.details),
            "fix": result.check.fix,
            "docs": f"{docs}#{result.check.anchor}",
        }
        for result in results
    ]
    blocked = any(result.blocks for result in results)
    return json.dumps({"phase": phase, "blocked": blocked, "checks": checks}, indent=2)


def _summary(results: list[Result], phase: str) -> str:
    counts = Counter(result.finding.status for result in results)
    tally = ", ".join(f"{counts[status]} {status}" for status in ("pass", "fail", "warn"))
    blocking = sum(result.blocks for result in results)
    if phase != "mvp":
        return f"{tally}. The prototype phase only advises: nothing blocks."
    if blocking:
        return f"{tally}. The mvp phase blocks on {blocking} failing check(s)."
    return f"{tally}. Nothing blocks."
