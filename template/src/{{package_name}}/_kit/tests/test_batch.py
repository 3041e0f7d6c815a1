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
from .conftest import invalid_value, request_rows


def _read(path: Path, contract: Contract) -> pd.DataFrame:
    """A written predictions file, with ids and labels as text as the contract has them."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    text = [c.name for c in contract.columns if c.role == "id" and c.type == "string"]
    if contract.task == CLASSIFICATION:
        text.append("prediction")
    return pd.read_csv(path, dtype=dict.fromkeys(text, str))


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
    source = load_table(settings.data, contract)
    assert rows == len(source)
    written = _read(output, contract)
    ids = [c.name for c in contract.columns if c.role == "id"]
    for name in ids:
        assert written[name].tolist() == source[name].tolist()
    expected = LocalPredictor.from_registry(trained_models).predict(
        request_rows(source.head(3), contract)
    )
    assert written["prediction"].head(3).tolist() == pytest.approx([p.value for p in expected])
    probabilities = [name for name in written.columns if name.startswith("probability_")]
    if contract.task == CLASSIFICATION:  # one probability per label, as the predictor gives
        labels = contract.target.allowed or ("False", "True")
        assert sorted(probabilities) == sorted(f"probability_{label}" for label in labels)
        for prediction, (_, row) in zip(expected, written.head(3).iterrows(), strict=True):
            assert prediction.probabilities == pytest.approx(
                {name.removeprefix("probability_"): row[name] for name in probabilities}
            )
    else:
        assert probabilities == []
    assert list(written.columns) == [*ids, "prediction", *probabilities]


def test_invalid_rows_are_refused_with_the_report(
    tmp_path: Path, contract: Contract, trained_models: Path, sample_rows: pd.DataFrame
) -> None:
    column = contract.features[0]
    source = tmp_path / "rows.csv"
    sample_rows[column.name] = sample_rows[column.name].astype(object)
    sample_rows.loc[4, column.name] = invalid_value(column)
    sample_rows.to_csv(source, index=False)
    with pytest.raises(InvalidDataError, match=f"{column.name}: values must be") as refused:
        predict_file(source, tmp_path / "out.csv", contract, trained_models)
    assert "row 5 = " in str(refused.value)
    assert not (tmp_path / "out.csv").exists()


def test_missing_features_and_unknown_outputs_are_one_line_errors(
    tmp_path: Path,
    contract: Contract,
    settings: Settings,
    trained_models: Path,
    sample_rows: pd.DataFrame,
) -> None:
    dropped = contract.feature_names[-1]
    source = tmp_path / "rows.csv"
    sample_rows.drop(columns=[dropped]).to_csv(source, index=False)
    with pytest.raises(DataError, match=rf"missing feature columns \['{dropped}'\]"):
        predict_file(source, tmp_path / "out.csv", contract, trained_models)
    with pytest.raises(DataError, match=r"unsupported output type '\.xlsx'"):
        predict_file(settings.data, tmp_path / "out.xlsx", contract, trained_models)
