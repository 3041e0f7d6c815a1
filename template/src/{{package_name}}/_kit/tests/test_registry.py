from __future__ import annotations

import json
import logging
import pickle
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..records import DataRecord, Metrics
from ..registry import (
    KEY_VARIABLE,
    MIN_KEY_CHARS,
    SIGNATURE_FILE,
    Registry,
    RegistryError,
    library_versions,
    sha256_of,
)

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


def _edit_metadata(
    registry: Registry, edit: Callable[[dict[str, Any]], object], version: str = "v1"
) -> None:
    path = registry.root / version / "metadata.json"
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


class _Payload:
    """A pickle that runs code when loaded: it creates the file ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


@pytest.fixture
def outside(tmp_path: Path) -> tuple[Path, Path]:
    """A valid registered version outside the registry whose pickle runs code, and its marker."""
    marker = tmp_path / "code-ran"
    Registry(tmp_path / "elsewhere").register(_Payload(marker), **FIELDS)
    return tmp_path / "elsewhere" / "v1", marker


def _escape_names(folder: Path) -> list[str]:
    return [
        "../elsewhere/v1",
        str(folder),
        "v1/../../elsewhere/v1",
        "v1/..",
        "v1\n",
        "V1",
        "",
        "v" + "9" * 10,
    ]


def test_version_names_other_than_v_and_a_number_are_refused_everywhere(
    registry: Registry, outside: tuple[Path, Path]
) -> None:
    folder, marker = outside
    registry.register({"weights": [1]}, **FIELDS)
    calls: list[Callable[[str], object]] = [
        registry.load,
        registry.verify,
        registry.metadata,
        registry.promote,
        lambda name: registry.path(name, "profile.json"),
    ]
    for name in _escape_names(folder):
        for call in calls:
            with pytest.raises(RegistryError, match="is not a model version: use v and a number"):
                call(name)
    assert not marker.exists(), "no code from outside the registry ran"
    assert registry.current() is None, "nothing was promoted"
    Registry(folder.parent).load("v1")
    assert marker.exists(), "the payload does run when loaded: the test would have seen it"


@pytest.mark.parametrize(
    "pointer", [b"../elsewhere/v1\n", b"/etc\n", b"v1/../v1", b"v1\nv2\n", b"\xff\x00v1"]
)
def test_a_tampered_current_pointer_is_refused_in_one_line(
    registry: Registry, outside: tuple[Path, Path], pointer: bytes
) -> None:
    registry.register({"weights": [1]}, **FIELDS)
    (registry.root / "current").write_bytes(pointer)
    with pytest.raises(RegistryError, match=r"current names .*, not a model version") as refused:
        registry.load()
    assert "\n" not in str(refused.value)
    assert "models promote" in str(refused.value)
    assert not outside[1].exists()


def test_metadata_must_name_its_own_folder(registry: Registry, outside: tuple[Path, Path]) -> None:
    """Before it was checked, ``version`` in metadata.json chose which pickle was loaded."""
    folder, marker = outside
    registry.register({"weights": [1]}, **FIELDS)
    for claimed in (str(folder), "../elsewhere/v1", "v2"):
        payload = {"pickle_sha256": sha256_of(folder / "model.pkl"), "version": claimed}
        _edit_metadata(registry, lambda saved, payload=payload: saved.update(payload))
        with pytest.raises(RegistryError, match=r"^model v1: .*metadata\.json says it is version"):
            registry.load("v1")
    assert not marker.exists()


def test_links_that_lead_outside_the_registry_are_refused(
    registry: Registry, outside: tuple[Path, Path]
) -> None:
    folder, marker = outside
    registry.register({"weights": [1]}, **FIELDS)
    (registry.root / "v2").symlink_to(folder, target_is_directory=True)
    with pytest.raises(RegistryError, match=r"^model v2: .*v2 leads outside .*own folder"):
        registry.load("v2")
    (registry.root / "current").write_text("v2\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="leads outside"):
        registry.load()
    assert registry.versions() == ["v1"]
    assert "leads outside" in registry.problems()["v2"]
    # A version folder of its own whose pickle is a link to one outside, checksum to match.
    pickle_path = registry.root / "v1" / "model.pkl"
    pickle_path.unlink()
    pickle_path.symlink_to(folder / "model.pkl")
    _edit_metadata(registry, lambda saved: saved.update(pickle_sha256=sha256_of(pickle_path)))
    with pytest.raises(RegistryError, match=r"model\.pkl leads outside"):
        registry.load("v1")
    assert not marker.exists()
    # Links that stay inside are fine.
    registry.register({"weights": [3]}, **FIELDS)
    (registry.root / "v2").unlink()
    (registry.root / "v2").symlink_to(registry.root / "v3", target_is_directory=True)
    with pytest.raises(RegistryError, match="says it is version 'v3'"):
        registry.load("v2")
    assert registry.load("v3")[0] == {"weights": [3]}


def test_a_broken_version_is_left_out_of_the_list_with_its_reason(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    registry.register({"weights": [1]}, **FIELDS)
    registry.root.joinpath("v2").mkdir()  # what an interrupted train of v0.3.0 left
    registry.register({"weights": [3]}, **FIELDS)
    _edit_metadata(registry, lambda saved: saved["metrics"].update(primary=["accuracy"]), "v3")
    with caplog.at_level(logging.WARNING):
        assert registry.versions() == ["v1"]
        assert registry.versions() == ["v1"]
    problems = registry.problems()
    assert set(problems) == {"v2", "v3"}
    assert re.match(
        r"model v2: metadata\.json is missing \(a train that was interrupted", problems["v2"]
    )
    assert re.match(
        r"model v3: .*metadata\.json: metrics\.primary: Input should be", problems["v3"]
    )
    assert [record.getMessage().split(": ", 1)[1] for record in caplog.records] == [
        problems["v2"],
        problems["v3"],
    ], "each broken version is reported once"
    assert registry.register({"weights": [4]}, **FIELDS).version == "v4", "numbers stay taken"
    assert registry.load("v1")[0] == {"weights": [1]}
    with pytest.raises(RegistryError, match=r"no model 'v9' .* \(registered: v1, v2, v3, v4\)"):
        registry.load("v9")


def test_an_interrupted_register_leaves_no_version_behind(registry: Registry) -> None:
    with pytest.raises((pickle.PicklingError, AttributeError)):
        registry.register(lambda: "a lambda cannot be pickled", **FIELDS)
    assert list(registry.root.iterdir()) == []
    assert registry.register({"weights": [1]}, **FIELDS).version == "v1"


KEY = "k" * MIN_KEY_CHARS


def test_with_a_signing_key_a_tampered_pickle_with_its_checksum_redone_is_refused(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    registry.register({"weights": [1]}, **FIELDS)
    assert (registry.root / "v1" / SIGNATURE_FILE).is_file()
    assert registry.load("v1")[0] == {"weights": [1]}
    marker = tmp_path / "code-ran"
    pickle_path = registry.root / "v1" / "model.pkl"
    pickle_path.write_bytes(pickle.dumps(_Payload(marker)))
    _edit_metadata(registry, lambda saved: saved.update(pickle_sha256=sha256_of(pickle_path)))
    with pytest.raises(RegistryError, match=r"model v1: model\.pkl does not match its signature"):
        registry.load("v1")
    assert not marker.exists()
    # What the key buys: without it, the redone checksum is all there is, and it passes.
    monkeypatch.delenv(KEY_VARIABLE)
    registry.load("v1")
    assert marker.exists()


def test_with_a_signing_key_unsigned_or_otherwise_signed_models_are_refused(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.register({"weights": [1]}, **FIELDS)  # no key: not signed
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    with pytest.raises(RegistryError, match=rf"model v1 is not signed, and {KEY_VARIABLE} is set"):
        registry.promote("v1")
    registry.register({"weights": [2]}, **FIELDS)
    monkeypatch.setenv(KEY_VARIABLE, "other " + KEY)
    with pytest.raises(RegistryError, match="signed with another key"):
        registry.load("v2")
    monkeypatch.setenv(KEY_VARIABLE, "short")
    with pytest.raises(RegistryError, match=rf"{KEY_VARIABLE} is shorter than 32 characters"):
        registry.register({"weights": [3]}, **FIELDS)
    monkeypatch.setenv(KEY_VARIABLE, "")
    assert registry.load("v1")[0] == {"weights": [1]}, "an empty key is no key"
