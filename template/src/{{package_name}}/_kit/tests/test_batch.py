from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ..batch import predict_file
from ..contract import Contract
from ..data import DataError
from ..predictor import LocalPredictor
from ..validation import InvalidDataError

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "example" / "deliveries.csv"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predictions_keep_the_ids_and_match_the_predictor(
    tmp_path: Path,
    suffix: str,
    contract: Contract,
    trained_models: Path,
    example_frame: pd.DataFrame,
) -> None:
    output = tmp_path / f"predictions{suffix}"
    assert predict_file(EXAMPLE, output, contract, trained_models) == 1000
    written = pd.read_csv(output) if suffix == ".csv" else pd.read_parquet(output)
    assert written["order_id"].tolist() == example_frame["order_id"].tolist()
    rows = example_frame[contract.feature_names].head(3).astype(object)
    expected = LocalPredictor.from_registry(trained_models).predict(
        rows.where(rows.notna(), None).to_dict("records")
    )
    assert written["prediction"].head(3).tolist() == pytest.approx([p.value for p in expected])
{%- if problem_type == 'classification' %}
    assert {"probability_late", "probability_on_time"} <= set(written.columns)
{%- endif %}


def test_invalid_rows_are_refused_with_the_report(
    tmp_path: Path, contract: Contract, trained_models: Path, example_frame: pd.DataFrame
) -> None:
    source = tmp_path / "rows.csv"
    example_frame.assign(hour=example_frame["hour"] + 30).to_csv(source, index=False)
    with pytest.raises(InvalidDataError, match="hour: values must be at most 23"):
        predict_file(source, tmp_path / "out.csv", contract, trained_models)
    assert not (tmp_path / "out.csv").exists()


def test_missing_features_and_unknown_outputs_are_one_line_errors(
    tmp_path: Path, contract: Contract, trained_models: Path, example_frame: pd.DataFrame
) -> None:
    source = tmp_path / "rows.csv"
    example_frame.drop(columns=["hour"]).to_csv(source, index=False)
    with pytest.raises(DataError, match=r"missing feature columns \['hour'\]"):
        predict_file(source, tmp_path / "out.csv", contract, trained_models)
    with pytest.raises(DataError, match=r"unsupported output type '\.xlsx'"):
        predict_file(EXAMPLE, tmp_path / "out.xlsx", contract, trained_models)
