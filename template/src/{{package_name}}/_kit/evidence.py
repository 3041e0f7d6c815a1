"""Evidence that the tests passed on the code as it is now: the only test results the gate trusts.

At the end of every ``pytest`` run that collected the kit's tests, the kit writes
``.pytest_cache/proto-to-mvp-evidence.json``: when the run started, its outcome, whether it ran
the whole suite, and a fingerprint of the files tests depend on (``src/``, ``tests/``,
``pyproject.toml``, ``uv.lock``). The gate compares that fingerprint with the tree it sees, so
coverage from an old run, or from a run with failures, never passes a check.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

EVIDENCE = Path(".pytest_cache") / "proto-to-mvp-evidence.json"
INPUTS = ("src", "tests", "pyproject.toml", "uv.lock")
# The whole suite with coverage, as CI runs it: the only run the gate trusts. A plain `pytest`
# is the fast loop (tests marked slow left out, no coverage).
WHOLE_RUN = 'uv run pytest -m "" --cov'
SKIP = {"__pycache__", ".pytest_cache", ".ruff_cache"}
KIT_TESTS = Path(__file__).resolve().parent / "tests"


@dataclass(frozen=True)
class Evidence:
    started: float  # seconds since the epoch
    exit_status: int  # pytest's: 0 all passed
    failed: int
    whole_suite: bool  # nothing left out: no paths, no test deselected (-k, -m, --deselect, --lf)
    fingerprint: str


def fingerprint(root: Path) -> str:
    """SHA-256 over the paths and contents of the files the tests depend on."""
    digest = hashlib.sha256()
    for path in sorted(_inputs(root)):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _inputs(root: Path) -> list[Path]:
    found = []
    for name in INPUTS:
        top = root / name
        if top.is_file():
            found.append(top)
        for folder, subfolders, files in os.walk(top):
            subfolders[:] = [sub for sub in subfolders if sub not in SKIP]
            found += [Path(folder, file) for file in files if not file.endswith(".pyc")]
    return found


def write(root: Path, evidence: Evidence) -> None:
    path = root / EVIDENCE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(evidence), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def read(root: Path) -> Evidence | None:
    """The last run's evidence, or None when there is none (or it cannot be read)."""
    try:
        return Evidence(**json.loads((root / EVIDENCE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def problem(root: Path) -> str | None:
    """Why the last test run is no evidence for the tree as it is, or None when it is."""
    found = read(root)
    if found is None:
        return f"no record of a whole test run: run `{WHOLE_RUN}` first"
    if not found.whole_suite:
        return (
            "the last run left tests out (the fast loop, paths, -k, -m or testpaths): "
            f"run `{WHOLE_RUN}`"
        )
    # Exit status 1 without failures is a missed coverage threshold: MVP005 reports that.
    if found.failed or found.exit_status not in (0, 1):
        return f"the last test run failed ({found.failed} failed): fix it, then run it again"
    if found.fingerprint != fingerprint(root):
        return "src/, tests/ or the project files changed since the last test run: run it again"
    return None


class Recorder:
    """A pytest plugin: records the evidence when the session ends."""

    def __init__(self, root: Path) -> None:
        self.root, self.started, self.failures, self.left_out = root, time.time(), 0, 0
        self.folders: set[str] = set()  # which of the two test folders the run took tests from

    def pytest_runtest_logreport(self, report: object) -> None:
        self.failures += bool(report.failed)  # type: ignore[attr-defined]

    def pytest_collectreport(self, report: object) -> None:
        self.failures += bool(report.failed)  # type: ignore[attr-defined]

    def pytest_deselected(self, items: list[object]) -> None:
        self.left_out += len(items)  # -k, -m, --deselect, --lf, the fast loop

    def pytest_collection_finish(self, session: object) -> None:
        """Note whether the tests came from your tests/ and the kit's: a `testpaths` (or `-o`)
        that drops one of them narrows the run as much as a path on the command line does."""
        folders = {"yours": (self.root / "tests").resolve(), "kit": KIT_TESTS}
        for item in session.items:  # type: ignore[attr-defined]
            path = Path(item.path).resolve()
            self.folders |= {name for name, top in folders.items() if path.is_relative_to(top)}

    def pytest_sessionfinish(self, session: object, exitstatus: int) -> None:
        config = session.config  # type: ignore[attr-defined]
        option = config.option
        if option.collectonly:
            return
        chosen = config.args_source.name == "ARGS"  # paths on the command line
        ignored = option.ignore or option.ignore_glob or getattr(option, "stepwise", False)
        narrowed = (
            chosen or bool(self.left_out) or bool(ignored) or self.folders != {"yours", "kit"}
        )
        evidence = Evidence(
            started=self.started,
            exit_status=int(exitstatus),
            failed=self.failures,  # tests and collection, not a missed coverage threshold
            whole_suite=not narrowed,
            fingerprint=fingerprint(self.root),
        )
        write(self.root, evidence)
