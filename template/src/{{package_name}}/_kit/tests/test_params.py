from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..params import Params, ParamsError, load_params, save_params
from ..records import Tuning

# The parameters a model takes: its defaults' names (model.py's default_params).
KNOWN = {"alpha": 1.0, "fit_intercept": True}


def test_missing_params_file_means_defaults_without_a_tuning_record(tmp_path: Path) -> None:
    assert load_params(tmp_path / "params.json", KNOWN) == Params({})
    assert Params({}).tuning is None


def test_params_file_written_by_tune_is_read_back(tmp_path: Path, tuning: Tuning) -> None:
    path = tmp_path / "params.json"
    params = Params({"alpha": 0.25}, tuning)
    save_params(path, params)
    assert load_params(path, KNOWN) == params
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["params"] == {"alpha": 0.25}
    assert Tuning.model_validate(saved["tuning"]) == tuning
    assert not list(tmp_path.glob("*.tmp")), "written atomically: no temporary file left"
    hand = path.with_name("hand.json")
    hand.write_text(json.dumps({"params": {"alpha": 2.0}}), encoding="utf-8")
    assert load_params(hand, KNOWN) == Params({"alpha": 2.0}), "set by hand, without a search"


def test_known_names_are_any_iterable_of_names(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    save_params(path, Params({"fit_intercept": False}))
    expected = Params({"fit_intercept": False})
    assert load_params(path, list(KNOWN)) == load_params(path, iter(KNOWN)) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not a readable JSON file"),
        ("[1, 2]", "expected {"),
        ('{"alpha": 1.0}', "expected {"),
        ('{"params": [1]}', "expected {"),
        ('{"params": {}, "tuning": [1]}', "expected {"),
        (
            '{"params": {"n_layers": 3}}',
            r"unknown parameters \['n_layers'\]; the model takes alpha",
        ),
    ],
)
def test_unusable_params_file_is_refused_with_the_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "params.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError, match=rf"params\.json: {reason}") as refused:
        load_params(path, KNOWN)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ({"trials": "three"}, r"tuning\.trials: Input should be a valid integer, got 'three'"),
        ({"stopped_by": "boredom"}, r"tuning\.stopped_by: Input should be 'trials' or 'timeout'"),
        ({"data": {"path": "data.csv"}}, r"tuning\.data\.sha256 is missing"),
        ({"best": 0.5}, r"tuning\.best is not a field of this record"),
    ],
)
def test_a_malformed_tuning_record_is_refused_in_one_line(
    tmp_path: Path, tuning: Tuning, edit: dict[str, object], problem: str
) -> None:
    path = tmp_path / "params.json"
    malformed = {**tuning.model_dump(mode="json"), **edit}
    path.write_text(json.dumps({"params": {}, "tuning": malformed}), encoding="utf-8")
    with pytest.raises(
        ParamsError, match=rf"params\.json: not the tuning record tune writes: {problem}"
    ) as refused:
        load_params(path, KNOWN)
    assert "\n" not in str(refused.value)


def test_a_params_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(ParamsError, match="not a readable JSON file"):
        load_params(path, KNOWN)
