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
from .conftest import invalid_value, number_feature, request_rows


@pytest.fixture
def predictor(trained_models: Path, contract: Contract) -> LocalPredictor:
    return LocalPredictor.from_registry(trained_models, None, contract)


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
    predictor: LocalPredictor,
) -> None:
    output = tmp_path / f"predictions{suffix}"
    result = predict_file(settings.data, output, predictor)
    source = load_table(settings.data, contract)
    assert (result.predicted, result.rejected) == (len(source), 0)
    written = _read(output, contract)
    ids = [c.name for c in contract.columns if c.role == "id"]
    for name in ids:
        assert written[name].tolist() == source[name].tolist()
    expected = predictor.predict(request_rows(source.head(3), contract))
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
    tmp_path: Path, contract: Contract, predictor: LocalPredictor, sample_rows: pd.DataFrame
) -> None:
    column = contract.features[0]
    source = tmp_path / "rows.csv"
    sample_rows[column.name] = sample_rows[column.name].astype(object)
    sample_rows.loc[4, column.name] = invalid_value(column)
    sample_rows.to_csv(source, index=False)
    with pytest.raises(InvalidDataError, match=f"{column.name}: values must be") as refused:
        predict_file(source, tmp_path / "out.csv", predictor)
    assert "row 5 = " in str(refused.value)
    assert not (tmp_path / "out.csv").exists()


def test_missing_features_and_unknown_outputs_are_one_line_errors(
    tmp_path: Path,
    contract: Contract,
    settings: Settings,
    predictor: LocalPredictor,
    sample_rows: pd.DataFrame,
) -> None:
    dropped = contract.feature_names[-1]
    source = tmp_path / "rows.csv"
    sample_rows.drop(columns=[dropped]).to_csv(source, index=False)
    with pytest.raises(DataError, match=rf"missing feature columns \['{dropped}'\]"):
        predict_file(source, tmp_path / "out.csv", predictor)
    with pytest.raises(DataError, match=r"unsupported output type '\.xlsx'"):
        predict_file(settings.data, tmp_path / "out.xlsx", predictor)


def test_rejects_mode_scores_the_valid_rows_and_sets_the_others_aside(
    tmp_path: Path, contract: Contract, predictor: LocalPredictor, sample_rows: pd.DataFrame
) -> None:
    first, number = contract.features[0], number_feature(contract)
    source, output, rejects = tmp_path / "rows.csv", tmp_path / "out.csv", tmp_path / "bad.csv"
    rows = sample_rows.astype({first.name: object, number.name: object})
    rows.loc[4, first.name] = invalid_value(first)
    rows.loc[8, number.name] = "lots"  # text in a number column: the whole column reads as text
    if number.max is not None:  # hidden behind the type rule until the text row is set aside
        rows.loc[11, number.name] = number.max * 10 + 1
    rows.to_csv(source, index=False)
    result = predict_file(source, output, predictor, rejects=rejects)
    refused = pd.read_csv(rejects, dtype=str)
    expected = [5, 9, 12] if number.max is not None else [5, 9]
    assert refused["row"].astype(int).tolist() == expected
    assert refused["reasons"].str.startswith(f"{first.name}: values must").iloc[0]
    assert refused["reasons"].iloc[1].startswith(f"{number.name}: values must be")
    assert (result.predicted, result.rejected) == (len(rows) - len(expected), len(expected))
    written = _read(output, contract)
    assert len(written) == result.predicted
    assert written.columns[0] == "row"
    assert set(written["row"]).isdisjoint(expected)
    assert sorted([*written["row"], *expected]) == list(range(1, len(rows) + 1))


def test_all_rows_refused_leaves_the_reasons_and_no_output(
    tmp_path: Path, contract: Contract, predictor: LocalPredictor, sample_rows: pd.DataFrame
) -> None:
    column = contract.features[0]
    source, output, rejects = tmp_path / "rows.csv", tmp_path / "out.csv", tmp_path / "bad.csv"
    sample_rows.astype({column.name: object}).assign(**{column.name: invalid_value(column)}).to_csv(
        source, index=False
    )
    with pytest.raises(DataError, match="every row breaks the contract; reasons in"):
        predict_file(source, output, predictor, rejects=rejects)
    assert len(pd.read_csv(rejects)) == len(sample_rows)
    assert not output.exists()


def test_outputs_never_replace_the_input_or_existing_files_unasked(
    tmp_path: Path, contract: Contract, predictor: LocalPredictor, data_path: Path
) -> None:
    source = tmp_path / "rows.csv"
    source.write_bytes(data_path.read_bytes())
    before = source.read_bytes()
    with pytest.raises(DataError, match="is the input file"):
        predict_file(source, tmp_path / "." / "rows.csv", predictor)
    with pytest.raises(DataError, match="is the input file"):
        predict_file(source, tmp_path / "out.csv", predictor, rejects=source)
    assert source.read_bytes() == before
    output = tmp_path / "out.csv"
    output.write_text("mine\n", encoding="utf-8")
    with pytest.raises(DataError, match="exists; pass --overwrite to replace it"):
        predict_file(source, output, predictor)
    assert output.read_text(encoding="utf-8") == "mine\n"
    predict_file(source, output, predictor, overwrite=True)
    assert len(pd.read_csv(output)) == len(pd.read_csv(source))
    with pytest.raises(DataError, match="the output and the rejects file must differ"):
        predict_file(source, tmp_path / "o.csv", predictor, rejects=tmp_path / "o.csv")


def test_a_file_with_only_a_header_is_a_one_line_error(
    tmp_path: Path, contract: Contract, predictor: LocalPredictor, sample_rows: pd.DataFrame
) -> None:
    source = tmp_path / "rows.csv"
    sample_rows.head(0).to_csv(source, index=False)
    with pytest.raises(DataError, match="no rows to predict"):
        predict_file(source, tmp_path / "out.csv", predictor)


def test_an_output_under_a_file_is_a_one_line_error(
    tmp_path: Path, contract: Contract, predictor: LocalPredictor, data_path: Path
) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="cannot write"):
        predict_file(data_path, tmp_path / "file" / "out.csv", predictor)
