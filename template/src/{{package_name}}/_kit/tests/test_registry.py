from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ..registry import Registry, RegistryError, library_versions

FIELDS = {
    "created": "2026-01-01T00:00:00+00:00",
    "contract_fingerprint": "abc",
    "libraries": library_versions(),
    "python": "3.11.0",
    "metrics": {"primary": "score", "model": {"score": 0.9}, "baseline": {"score": 0.5}},
    "data": {"path": "data.csv", "rows": 10, "sha256": "0" * 64},
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
    with pytest.raises(RegistryError, match=r"metadata\.json is unreadable"):
        registry.load("v1")
    shutil.rmtree(registry.root / "v1")
    registry.root.joinpath("v1").mkdir()
    with pytest.raises(RegistryError, match=r"metadata\.json is missing"):
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
