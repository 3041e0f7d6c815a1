from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ..contract import Contract
from ..holdout import HOLDOUT_FILE, load_holdout
from ..model_card import ModelCardError, build_card, check_card, write_card
from ..records import Tuning
from ..registry import Registry
from ..settings import Settings
from ..tasks import CLASSIFICATION
from ..train import train

ACCEPTED = '[[acceptance]]\nby = "Ana Lopez"\ndate = 2026-03-02\nmodel_version = "v1"\n'
PNG = b"\x89PNG\r\n\x1a\n"
IMAGE = re.compile(r"!\[[^\]]+\]\(([^)]+)\)")


@pytest.fixture
def registry(tmp_path: Path, trained_models: Path) -> Registry:
    """A copy of the trained registry that tests may change."""
    return Registry(shutil.copytree(trained_models, tmp_path / "models"))


def test_the_card_states_the_registered_models_real_metrics(
    tmp_path: Path, registry: Registry, contract: Contract
) -> None:
    card = build_card(registry, contract, acceptance=tmp_path / "ACCEPTANCE.toml")
    metadata = registry.metadata("v1")
    assert card.version == "v1"
    assert card.text.startswith("# Model card: ")
    metrics = metadata.metrics
    for name, value in metrics.model.items():
        assert f"| {name} | {value:.4f} | {metrics.baseline[name]:.4f} |" in card.text
    assert f"On {metrics.holdout_rows} holdout rows" in card.text
    verdict = "beats" if metadata.beats_baseline else "does NOT beat"
    assert f"The model {verdict} the baseline on {metrics.primary}." in card.text
    assert f"{metadata.estimator} after `features.py`" in card.text
    assert metadata.data.sha256[:12] in card.text
    for column in contract.columns:
        assert f"| `{column.name}` | {column.role} | {column.type} |" in card.text
    assert "Not tuned" in card.text
    assert "Not accepted yet" in card.text
    assert card.text.rstrip().endswith(f"<!-- model-card: v1 {card.digest} -->")


def test_the_card_shows_the_tuning_record_and_the_acceptance(
    tmp_path: Path, registry: Registry, contract: Contract, tuning: Tuning
) -> None:
    tuned = registry.metadata("v1").model_copy(update={"tuning": tuning})
    (registry.root / "v1" / "metadata.json").write_text(tuned.model_dump_json(), encoding="utf-8")
    acceptance = tmp_path / "ACCEPTANCE.toml"
    acceptance.write_text(ACCEPTED + 'notes = "Pilot | phase one"\n', encoding="utf-8")
    text = build_card(registry, contract, acceptance).text
    assert "Chosen by `tune` on 2026-03-01T10:00:00+00:00: 20 trials of TPESampler" in text
    assert "5-fold cross-validated score on the training rows: 0.7500 (defaults: 0.7000)" in text
    assert "| Ana Lopez | 2026-03-02 | Pilot \\| phase one |" in text


@pytest.mark.slow  # pictures
def test_check_finds_a_missing_current_or_stale_card(
    tmp_path: Path, registry: Registry, contract: Contract
) -> None:
    path, acceptance = tmp_path / "MODEL_CARD.md", tmp_path / "ACCEPTANCE.toml"
    card = build_card(registry, contract, acceptance)
    assert check_card(card, path).problem == f"{path} is missing: run the model-card command"
    write_card(card, path)
    assert check_card(card, path).up_to_date

    acceptance.write_text(ACCEPTED, encoding="utf-8")  # accepted after the card was written
    check = check_card(build_card(registry, contract, acceptance), path)
    assert not check.up_to_date
    assert check.problem == (
        f"{path} is stale: model v1's facts changed since it was written: "
        "run the model-card command"
    )
    path.write_text("# Our model\n", encoding="utf-8")
    assert "has no model-card stamp" in str(check_card(card, path).problem)


@pytest.mark.slow  # pictures
def test_a_card_for_an_older_version_is_stale(
    tmp_path: Path, registry: Registry, contract: Contract, settings: Settings
) -> None:
    path, acceptance = tmp_path / "MODEL_CARD.md", tmp_path / "ACCEPTANCE.toml"
    write_card(build_card(registry, contract, acceptance), path)
    train(settings.model_copy(update={"models_dir": registry.root}), contract, promote=False)
    registry.promote("v2")
    check = check_card(build_card(registry, contract, acceptance), path)
    assert (check.version, check.up_to_date) == ("v2", False)
    assert check.problem == (
        f"{path} describes model v1, the current model is v2: run the model-card command"
    )


def test_a_broken_acceptance_record_is_a_one_line_error(
    tmp_path: Path, registry: Registry, contract: Contract
) -> None:
    acceptance = tmp_path / "ACCEPTANCE.toml"
    acceptance.write_text("[[acceptance]\n", encoding="utf-8")
    with pytest.raises(ModelCardError, match="cannot read the acceptance record"):
        build_card(registry, contract, acceptance)


@pytest.mark.slow  # pictures
def test_the_card_shows_pictures_drawn_beside_it(
    tmp_path: Path, registry: Registry, contract: Contract
) -> None:
    path = tmp_path / "MODEL_CARD.md"
    card = build_card(registry, contract, tmp_path / "ACCEPTANCE.toml", path)
    write_card(card, path)
    shown = IMAGE.findall(path.read_text(encoding="utf-8"))
    assert len(shown) >= 2
    for link in shown:
        picture = path.parent / link
        assert picture.parent == tmp_path / "model_card"
        assert picture.read_bytes().startswith(PNG)
        assert picture.stat().st_size > 5_000, f"{link} is too small to show anything"
    names = [Path(link).name for link in shown]
    assert names[0] == "performance.png"
    holdout = load_holdout(registry, "v1")
    assert holdout is not None
    if holdout.task == CLASSIFICATION:
        assert "confusion_matrix.png" in names
        assert ("calibration.png" in names) == bool(holdout.calibration)
    else:
        assert {"predicted_vs_actual.png", "residuals.png"} <= set(names)
    assert sorted(p.name for p in (tmp_path / "model_card").iterdir()) == sorted(names)
    assert check_card(card, path).up_to_date


@pytest.mark.slow  # pictures
def test_a_missing_picture_makes_the_card_stale(
    tmp_path: Path, registry: Registry, contract: Contract
) -> None:
    path = tmp_path / "MODEL_CARD.md"
    card = build_card(registry, contract, tmp_path / "ACCEPTANCE.toml", path)
    write_card(card, path)
    (tmp_path / "model_card" / "performance.png").unlink()
    check = check_card(card, path)
    assert not check.up_to_date
    assert check.problem == (
        f"{path} shows pictures that are missing from {tmp_path / 'model_card'}/: "
        "performance.png: run the model-card command"
    )


def test_a_model_without_a_holdout_record_still_gets_its_metrics_picture(
    tmp_path: Path, registry: Registry, contract: Contract
) -> None:
    (registry.root / "v1" / HOLDOUT_FILE).unlink()  # trained before holdout records
    card = build_card(registry, contract, tmp_path / "ACCEPTANCE.toml")
    assert [picture.name for picture in card.pictures] == ["performance.png"]
    assert IMAGE.findall(card.text) == ["model_card/performance.png"]
