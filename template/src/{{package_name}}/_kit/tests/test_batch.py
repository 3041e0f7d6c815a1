from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ..batch import predict_file
from ..contract import Contract
from ..data import DataError, load_table
from ..predictor import LocalPredictor
from ..settings import Settings
from ..tasks import CLASSIFICATION
from ..validation import InvalidDataError


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predictions_keep_the_ids_and_match_the_predictor(
    tmp_path: Path,
    suffix: str,
    contract: Contract,
    settings: Settings,
    trained_models: Path,
) -> None:
    output = tmp_path / f"predictions{suffix}"
    rows = predict_file(settings.data, output, contract, trained_models)
    example_frame = load_table(settings.data, contract)
    assert rows == len(example_frame)
    written = pd.read_csv(output) if suffix == ".csv" else pd.read_parquet(output)
    assert written["order_id"].tolist() == example_frame["order_id"].tolist()
    features = example_frame[contract.feature_names].head(3).astype(object)
    expected = LocalPredictor.from_registry(trained_models).predict(
        features.where(features.notna(), None).to_dict("records")
    )
    assert written["prediction"].head(3).tolist() == pytest.approx([p.value for p in expected])
    probabilities = [name for name in written.columns if name.startswith("probability_")]
    if contract.task == CLASSIFICATION:  # one probability per label, as the predictor gives
        labels = contract.target.allowed or ()
        assert sorted(probabilities) == sorted(f"probability_{label}" for label in labels)
        for prediction, (_, row) in zip(expected, written.head(3).iterrows(), strict=True):
            assert prediction.probabilities == pytest.approx(
                {name.removeprefix("probability_"): row[name] for name in probabilities}
            )
    else:
        assert probabilities == []
    assert list(written.columns) == ["order_id", "prediction", *probabilities]


def test_invalid_rows_are_refused_with_the_report(
    tmp_path: Path, contract: Contract, trained_models: Path, example_frame: pd.DataFrame
) -> None:
    source = tmp_path / "rows.csv"
    example_frame.assign(hour=example_frame["hour"] + 30).to_csv(source, index=False)
    with pytest.raises(InvalidDataError, match="hour: values must be at most 23"):
        predict_file(source, tmp_path / "out.csv", contract, trained_models)
    assert not (tmp_path / "out.csv").exists()


def test_missing_features_and_unknown_outputs_are_one_line_errors(
    tmp_path: Path,
    contract: Contract,
    settings: Settings,
    trained_models: Path,
    example_frame: pd.DataFrame,
) -> None:
    source = tmp_path / "rows.csv"
    example_frame.drop(columns=["hour"]).to_csv(source, index=False)
    with pytest.raises(DataError, match=r"missing feature columns \['hour'\]"):
        predict_file(source, tmp_path / "out.csv", contract, trained_models)
    with pytest.raises(DataError, match=r"unsupported output type '\.xlsx'"):
        predict_file(settings.data, tmp_path / "out.xlsx", contract, trained_models)
