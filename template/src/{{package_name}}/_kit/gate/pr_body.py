"""The PR-body check: the pull request's description ticks every item of the MVP checklist.

The required items are those of ``.github/pull_request_template.md``; each names its check id
(MVP001, ...), so deleting an item from a description does not skip it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .project import GateError

ITEM = re.compile(r"^\s*[-*]\s+\[(?P<mark>[ xX])\]\s+(?P<text>.*)$", re.MULTILINE)
CHECK_ID = re.compile(r"\bMVP\d{3}\b")


def read_body(event_path: Path) -> str:
    """The description in a GitHub pull_request event payload ("" when it has none)."""
    try:
        event = json.loads(event_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GateError(f"{event_path}: cannot read the event payload: {exc.strerror}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GateError(f"{event_path}: the event payload is not JSON: {exc}") from exc
    pull_request = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(pull_request, dict):
        raise GateError(f"{event_path}: not a pull_request event (no pull_request object)")
    return pull_request.get("body") or ""


def checklist(text: str) -> dict[str, tuple[bool, str]]:
    """Checklist items by id: whether each is ticked, and its text (first mention wins)."""
    items: dict[str, tuple[bool, str]] = {}
    for match in ITEM.finditer(text):
        found = CHECK_ID.search(match["text"])
        if found:
            items.setdefault(found[0], (match["mark"] != " ", match["text"].strip()))
    return items


def unticked(template: str, body: str) -> list[str]:
    """One line per required item that the body leaves unticked or leaves out."""
    ticked = checklist(body)
    problems = []
    for check_id, (_, text) in checklist(template).items():
        if check_id not in ticked:
            problems.append(f"{check_id} is missing from the description: {_plain(text)}")
        elif not ticked[check_id][0]:
            problems.append(f"{check_id} is not ticked: {_plain(text)}")
    return problems


def _plain(text: str) -> str:
    """An item's statement without its id and docs link, for one-line reports."""
    text = re.sub(r"\s*\(?\[[^\]]*\]\([^)]*\)\)?", "", text)
    return CHECK_ID.sub("", text).replace("**", "").strip()
