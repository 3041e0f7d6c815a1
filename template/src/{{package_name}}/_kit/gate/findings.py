"""What a check finds: a status and a few lines of detail."""

from __future__ import annotations

from dataclasses import dataclass

PASS, FAIL, WARN = "pass", "fail", "warn"


@dataclass(frozen=True)
class Finding:
    status: str
    details: tuple[str, ...] = ()


def passed(*details: str) -> Finding:
    return Finding(PASS, details)


def failed(*details: str) -> Finding:
    return Finding(FAIL, details)


def warned(*details: str) -> Finding:
    return Finding(WARN, details)
