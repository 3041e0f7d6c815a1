from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..records import DataRecord, Metrics
from ..registry import Registry, RegistryError, library_versions

FIELDS = {
    "created": "2026-01-01T00:00:00+00:00",
    "contract_fingerprint": "abc",
    "libraries": library_versions(),
    "python": "3.11.0",
    "metrics": Metrics(
        task="classification",
        primary="accuracy",
        higher_is_better=True,
        model={"accuracy": 0.9},
        baseline={"accuracy": 0.5},
        beats_baseline=True,
        holdout_rows=2,
    ),
    "data": DataRecord(path="data.csv", sha256="0" * 64, rows=10),
}


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "models")


def test_register_saves_numbered_versions_with_metadata(registry: Registry) -> None:
    first = registry.register({"weights": [1, 2]}, **FIELDS)
    second = registry.register({"weights": [3]}, **FIELDS)
    assert (first.version, second.version) == ("v1", "v2")
    assert registry.versions() == ["v1", "v2"]
    saved = json.loads((registry.root / "v1" / "metadata.json").read_text(encoding="utf-8"))
    assert saved["pickle_sha256"] == first.pickle_sha256
    assert registry.metadata("v1") == first
    assert not list(registry.root.rglob("*.tmp")), "writes are atomic: no temporary files left"


def test_promote_makes_a_version_current_and_load_returns_it(registry: Registry) -> None:
    registry.register({"weights": [1]}, **FIELDS)
    registry.register({"weights": [2]}, **FIELDS)
    assert registry.current() is None
    registry.promote("v1")
    model, metadata = registry.load()
    assert (model, metadata.version, registry.current()) == ({"weights": [1]}, "v1", "v1")
    assert registry.load("v2")[0] == {"weights": [2]}


@pytest.mark.parametrize("damage", ["append a byte", "truncate", "delete"])
def test_a_tampered_or_truncated_pickle_is_refused(registry: Registry, damage: str) -> None:
    registry.register({"weights": [1]}, **FIELDS)
    pickle_path = registry.root / "v1" / "model.pkl"
    if damage == "append a byte":
        pickle_path.write_bytes(pickle_path.read_bytes() + b"x")
    elif damage == "truncate":
        pickle_path.write_bytes(pickle_path.read_bytes()[:-5])
    else:
        pickle_path.unlink()
    with pytest.raises(RegistryError, match=r"model v1: model\.pkl"):
        registry.load("v1")


def test_a_pickle_from_other_library_versions_is_refused(registry: Registry) -> None:
    registry.register(
        {"weights": [1]}, **{**FIELDS, "libraries": {**library_versions(), "scikit-learn": "0.1.0"}}
    )
    with pytest.raises(RegistryError, match=r"saved with scikit-learn 0\.1\.0"):
        registry.load("v1")


def test_a_model_for_another_contract_is_refused(registry: Registry) -> None:
    registry.register({"weights": [1]}, **FIELDS)
    assert registry.load("v1", contract_fingerprint="abc")[0] == {"weights": [1]}
    with pytest.raises(RegistryError, match="different data contract"):
        registry.load("v1", contract_fingerprint="xyz")


def test_unreadable_metadata_is_refused(registry: Registry) -> None:
    registry.register({"weights": [1]}, **FIELDS)
    (registry.root / "v1" / "metadata.json").write_text("{", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"metadata\.json: not valid JSON"):
        registry.load("v1")
    shutil.rmtree(registry.root / "v1")
    registry.root.joinpath("v1").mkdir()
    with pytest.raises(RegistryError, match=r"metadata\.json is missing"):
        registry.load("v1")


def _edit_metadata(registry: Registry, edit: Callable[[dict[str, Any]], object]) -> None:
    path = registry.root / "v1" / "metadata.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    edit(saved)
    path.write_text(json.dumps(saved), encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda saved: saved["metrics"].update(holdout_rows="many"),
            r"metrics\.holdout_rows: Input should be a valid integer, got 'many'",
        ),
        (
            lambda saved: saved["metrics"].update(beats_baseline="yes"),
            r"metrics\.beats_baseline: Input should be a valid boolean, got 'yes'",
        ),
        (lambda saved: saved["data"].pop("sha256"), r"data\.sha256 is missing"),
        (lambda saved: saved["metrics"].update(task="ranking"), "metrics.task: must be one of"),
        (lambda saved: saved.update(owner="me"), "owner is not a field of this record"),
        (
            lambda saved: saved["metrics"].update(primary="f1_macro"),
            r"metrics: the primary metric 'f1_macro' has no model or baseline score; retrain",
        ),
    ],
)
def test_metadata_that_is_not_a_valid_record_is_refused_in_one_line(
    registry: Registry, edit: Callable[[dict[str, Any]], object], problem: str
) -> None:
    registry.register({"weights": [1]}, **FIELDS)
    _edit_metadata(registry, edit)
    with pytest.raises(RegistryError, match=rf"^model v1: .*metadata\.json: {problem}") as refused:
        registry.load("v1")
    assert "\n" not in str(refused.value)


def test_metadata_written_by_v0_2_0_still_loads(registry: Registry) -> None:
    """v0.2.0 recorded neither the task nor the direction of the primary metric."""
    registry.register({"weights": [1]}, **FIELDS)
    old = ("task", "higher_is_better")
    _edit_metadata(registry, lambda saved: [saved["metrics"].pop(key) for key in old])
    metrics = registry.load("v1")[1].metrics
    assert (metrics.task, metrics.higher_is_better) == ("classification", True)
    assert (metrics.model_score, metrics.baseline_score) == (0.9, 0.5)
    _edit_metadata(registry, lambda saved: saved["metrics"].update(primary="mystery"))
    with pytest.raises(RegistryError, match=r"metrics\.task is missing \(written by another kit"):
        registry.load("v1")


def test_unknown_or_missing_versions_say_what_exists(registry: Registry) -> None:
    with pytest.raises(RegistryError, match="no current model"):
        registry.load()
    registry.register({"weights": [1]}, **FIELDS)
    with pytest.raises(RegistryError, match=r"no model 'v9' .* \(registered: v1\)"):
        registry.promote("v9")


def test_files_saved_beside_a_model_are_found_by_version(registry: Registry) -> None:
    registry.register({"weights": [1]}, files={"profile.json": "{}\n"}, **FIELDS)
    registry.promote("v1")
    assert registry.path(None, "profile.json") == registry.root / "v1" / "profile.json"
    assert registry.path("v1", "profile.json").read_text(encoding="utf-8") == "{}\n"
    with pytest.raises(RegistryError, match="no model 'v2'"):
        registry.path("v2", "profile.json")
