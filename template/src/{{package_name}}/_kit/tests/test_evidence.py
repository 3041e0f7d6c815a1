from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from .. import evidence


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "model.py").write_text("A = 1\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# readme\n", encoding="utf-8")
    return tmp_path


def _finish(root: Path, *, status: int = 0, failed: int = 0, **narrowed: Any) -> None:
    """A run's end; ``narrowed``: source="ARGS" (paths), deselected=N, ignore=[...], or
    folders=[...] (where its tests came from; by default your tests/ and the kit's)."""
    option = SimpleNamespace(collectonly=False, ignore=narrowed.get("ignore", []), ignore_glob=[])
    source = SimpleNamespace(name=narrowed.get("source", "TESTPATHS"))
    config = SimpleNamespace(option=option, args_source=source)
    recorder = evidence.Recorder(root)
    folders = narrowed.get("folders", [root / "tests", evidence.KIT_TESTS])
    items = [SimpleNamespace(path=folder / "test_x.py") for folder in folders]
    recorder.pytest_collection_finish(SimpleNamespace(items=items))
    recorder.pytest_deselected([object()] * narrowed.get("deselected", 0))
    for outcome in [True] * failed + [False]:
        recorder.pytest_runtest_logreport(SimpleNamespace(failed=outcome))
    recorder.pytest_sessionfinish(SimpleNamespace(config=config), status)


def test_a_passing_whole_run_is_evidence_for_the_tree_as_it_is(root: Path) -> None:
    assert (
        evidence.problem(root) == f"no record of a whole test run: run `{evidence.WHOLE_RUN}` first"
    )
    _finish(root)
    assert evidence.problem(root) is None
    (root / "README.md").write_text("# other\n", encoding="utf-8")
    assert evidence.problem(root) is None, "prose is not an input of the tests"


def test_a_change_to_code_or_tests_makes_the_evidence_stale(root: Path) -> None:
    _finish(root)
    (root / "tests" / "test_new.py").write_text("def test_x(): ...\n", encoding="utf-8")
    assert "changed since the last test run" in (evidence.problem(root) or "")
    _finish(root)
    (root / "src" / "pkg" / "model.py").write_text("A = 2\n", encoding="utf-8")
    assert "changed since the last test run" in (evidence.problem(root) or "")


def test_a_failed_or_narrowed_run_is_no_evidence(root: Path) -> None:
    _finish(root, status=1, failed=2)
    assert evidence.problem(root) == (
        "the last test run failed (2 failed): fix it, then run it again"
    )
    _finish(root, status=1)
    assert evidence.problem(root) is None, "a missed coverage threshold is MVP005's to report"
    for narrowed in (
        {"source": "ARGS"},
        {"deselected": 3},
        {"ignore": ["tests/unit"]},
        {"folders": [root / "tests"]},  # testpaths without the kit's tests
        {"folders": [evidence.KIT_TESTS]},  # or without yours
    ):
        _finish(root, **narrowed)
        assert "left tests out" in (evidence.problem(root) or ""), narrowed
    _finish(root)
    assert evidence.problem(root) is None


def test_the_record_says_when_the_run_started(root: Path) -> None:
    before = time.time()
    _finish(root)
    found = evidence.read(root)
    assert found is not None
    assert before - 1 <= found.started <= time.time()
    (root / evidence.EVIDENCE).write_text("{not json", encoding="utf-8")
    assert evidence.read(root) is None
