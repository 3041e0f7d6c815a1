"""A compiled pipeline answers as the pipeline it was compiled from: for the kit's reference
pipeline and the tree ensembles users pick next, on rows made from your contract (your own
model is served in ``test_predictor.py``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from ..contract import Contract, parse_contract
from ..data import conform
from ..evaluate import split_features_target
from ..samples import sample_frame
from ..scoring import (
    ATOL,
    ROW_BY_ROW,
    RTOL,
    CannotCompileError,
    check_rows,
    compile_pipeline,
    verify,
)
from ..tasks import CLASSIFICATION
from .conftest import request_rows, unlisted
from .reference import reference_estimator, reference_model

# These tests compare compiled and pickled scoring, not fit quality: an unscaled linear model
# on a user's number ranges may stop before converging, which changes nothing compared here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Small ensembles: what is compiled is the same for any size, and the test loop stays quick.
ESTIMATORS: dict[str, tuple[type, type, dict[str, Any]]] = {
    "decision tree": (DecisionTreeClassifier, DecisionTreeRegressor, {}),
    "random forest": (RandomForestClassifier, RandomForestRegressor, {"n_estimators": 15}),
    "extra trees": (ExtraTreesClassifier, ExtraTreesRegressor, {"n_estimators": 15}),
    "gradient boosting": (
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        {"n_estimators": 15},
    ),
    "histogram gradient boosting": (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        {"max_iter": 15},
    ),
}


def estimator(name: str, task: str) -> BaseEstimator:
    """An unfitted estimator of ``ESTIMATORS`` (or "linear", the reference's) for the task."""
    if name == "linear":
        return reference_estimator(task)
    classifier, regressor, params = ESTIMATORS[name]
    return (classifier if task == CLASSIFICATION else regressor)(random_state=0, **params)


def fit(pipeline: Pipeline, frame: pd.DataFrame, contract: Contract) -> Pipeline:
    return pipeline.fit(*split_features_target(frame, contract))


@pytest.fixture(scope="module", params=["linear", *ESTIMATORS])
def fitted(request: pytest.FixtureRequest, _sample_rows: pd.DataFrame, contract: Contract) -> Any:
    model = reference_model(contract).set_params(estimator=estimator(request.param, contract.task))
    return fit(model, _sample_rows, contract)


@pytest.fixture(scope="module")
def rows(_sample_rows: pd.DataFrame, contract: Contract) -> list[dict[str, Any]]:
    """Sample rows as requests bring them, and the awkward cases: a missing number in every
    number column, unseen and missing categories (the encoder ignores them)."""
    rows = request_rows(_sample_rows.head(60), contract)
    for column in contract.features:
        if column.type in ("integer", "float", "boolean"):
            rows[0][column.name] = None
        if column.type == "category":
            rows[1][column.name], rows[2][column.name] = unlisted(column), None
    return rows


def expected(model: Any, rows: list[dict[str, Any]], contract: Contract) -> np.ndarray:
    """The pipeline's answers: probabilities (a classifier) or a column of numbers."""
    frame = conform(pd.DataFrame(rows, columns=contract.feature_names), contract)
    if contract.task == CLASSIFICATION:
        return model.predict_proba(frame)
    return model.predict(frame)[:, np.newaxis]


def assert_agrees(scores: list[Any], want: np.ndarray, contract: Contract) -> None:
    """Within the tolerance ``verify`` allows, and the same label (the most probable)."""
    np.testing.assert_allclose(np.array(scores, dtype=float), want, rtol=RTOL, atol=ATOL)
    if contract.task == CLASSIFICATION:
        assert np.argmax(scores, axis=1).tolist() == want.argmax(axis=1).tolist()


def columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in rows[0]}


def test_the_compiled_pipeline_answers_as_the_pipeline_one_by_one_and_in_arrays(
    fitted: Pipeline, rows: list[dict[str, Any]], contract: Contract
) -> None:
    compiled = compile_pipeline(fitted, contract)
    want = expected(fitted, rows, contract)
    one_by_one = [compiled.score_row(row) for row in rows]
    assert None not in one_by_one  # the reference features impute: no gap reaches the estimator
    assert_agrees(one_by_one, want, contract)
    assert_agrees(compiled.score_rows(columns(rows)), want, contract)
    assert_agrees(compiled.score(columns(rows[:ROW_BY_ROW])), want[:ROW_BY_ROW], contract)


def test_verify_passes_a_faithful_compiled_and_names_a_row_that_differs(
    fitted: Pipeline, contract: Contract
) -> None:
    compiled = compile_pipeline(fitted, contract)

    def reference(columns: dict[str, list[Any]]) -> tuple[Any, Any]:
        table = pd.DataFrame(columns).to_dict("records")
        answers = expected(fitted, table, contract)
        return (None, answers) if contract.task == CLASSIFICATION else (answers[:, 0], None)

    assert verify(compiled, contract, reference) is None
    off = dataclasses.replace(
        compiled, head=lambda x: [v * (1 + 1e-6) + 1e-6 for v in compiled.head(x)]
    )
    assert verify(off, contract, reference).startswith("row 1 alone: ")


def test_huge_numbers_do_not_overflow(fitted: Pipeline, contract: Contract) -> None:
    compiled = compile_pipeline(fitted, contract)
    numbers = [c.name for c in contract.features if c.type in ("integer", "float")]
    if not numbers:
        pytest.skip("the contract has no number feature")
    for huge in (1e12, -1e12):
        far = {name: huge if name in numbers else None for name in contract.feature_names}
        score = compiled.score_row(far)  # missing values take the imputers' values
        together = compiled.score_rows({name: [value] for name, value in far.items()})
        np.testing.assert_allclose(together[0], score, rtol=RTOL, atol=ATOL)
        assert np.isfinite(score).all()
        if contract.task == CLASSIFICATION:
            assert sum(score) == pytest.approx(1.0)
            assert min(score) >= 0.0


def _numbers(contract: Contract) -> list[str]:
    return contract.numeric_features


def _other_features(contract: Contract) -> ColumnTransformer:
    """Encoders and scalers besides the reference's: one-hot with a dropped column, min-max."""
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(), MinMaxScaler(clip=True)),
                _numbers(contract),
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(drop="first", handle_unknown="ignore", sparse_output=False),
                ),
                contract.categorical_features,
            ),
        ]
    )


def _ordinal_features(contract: Contract) -> ColumnTransformer:
    """What a tree model often gets: categories as codes, decimals passed through with their
    gaps (scikit-learn cannot pass through an integer or boolean column with gaps)."""
    codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    decimals = [c.name for c in contract.features if c.type == "float"]
    others = [name for name in _numbers(contract) if name not in decimals]
    return ColumnTransformer(
        [
            ("codes", codes, contract.categorical_features),
            ("decimals", "passthrough", decimals),
            ("others", SimpleImputer(strategy="median"), others),
        ]
    )


@pytest.mark.parametrize("features", [_other_features, _ordinal_features])
@pytest.mark.parametrize("name", ["linear", "histogram gradient boosting"])
def test_other_encoders_and_scalers_compile_and_agree(
    features: Any, name: str, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    """A row whose gap would reach the estimator is left to the pipeline (None); a linear
    model, which refuses gaps, is then fitted on complete rows only."""
    frame = sample_rows.dropna() if name == "linear" else sample_rows
    model = fit(
        Pipeline([("f", features(contract)), ("e", estimator(name, contract.task))]),
        frame,
        contract,
    )
    compiled = compile_pipeline(model, contract)
    rows = check_rows(contract)
    scores = [compiled.score_row(row) for row in rows]
    answered = [index for index, score in enumerate(scores) if score is not None]
    gaps = [i for i, row in enumerate(rows) if None in row.values()]
    assert sorted(set(answered) | set(gaps)) == list(range(len(rows)))
    if features is _other_features:
        assert answered == list(range(len(rows)))  # imputed: every row is answered
    kept = [rows[index] for index in answered]
    want = expected(model, kept, contract)
    assert_agrees([scores[index] for index in answered], want, contract)
    assert_agrees(compiled.score_rows(columns(kept)), want, contract)


def _indicator(contract: Contract) -> Pipeline:
    imputer = SimpleImputer(add_indicator=True)
    features = ColumnTransformer([("numeric", imputer, _numbers(contract))])
    return Pipeline([("features", features), ("estimator", estimator("linear", contract.task))])


def _function(contract: Contract) -> Pipeline:
    numbers = make_pipeline(SimpleImputer(), FunctionTransformer(np.tanh), StandardScaler())
    features = ColumnTransformer([("numeric", numbers, _numbers(contract))])
    return Pipeline([("features", features), ("estimator", estimator("linear", contract.task))])


def _neighbours(contract: Contract) -> Pipeline:
    kind = KNeighborsClassifier if contract.task == CLASSIFICATION else KNeighborsRegressor
    return reference_model(contract).set_params(estimator=kind())


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (_neighbours, "KNeighbors(Classifier|Regressor) has no fast scorer"),
        (_function, "its features use FunctionTransformer"),
        (_indicator, "its SimpleImputer adds indicators"),
    ],
)
def test_what_cannot_be_compiled_says_what(
    build: Any, reason: str, sample_rows: pd.DataFrame, contract: Contract
) -> None:

    if build is not _neighbours and not _numbers(contract):
        pytest.skip("the contract has no number feature")
    model = fit(build(contract), sample_rows.dropna(), contract)
    with pytest.raises(CannotCompileError, match=reason):
        compile_pipeline(model, contract)


def test_only_a_pipeline_of_features_then_estimator_compiles(contract: Contract) -> None:
    with pytest.raises(CannotCompileError, match="not a pipeline"):
        compile_pipeline("not a pipeline", contract)
    with pytest.raises(CannotCompileError, match="not a ColumnTransformer"):
        compile_pipeline(
            Pipeline([("f", StandardScaler()), ("e", reference_estimator(contract.task))]), contract
        )


ONE_KIND = {
    "numbers only": {"size": {"type": "float"}, "count": {"type": "integer", "nullable": True}},
    "categories only": {"kind": {"type": "category", "allowed": ["a", "b", "c"]}},
    "categories and a flag": {
        "kind": {"type": "category", "allowed": ["a", "b", "c"]},
        "flag": {"type": "boolean"},
    },
}
TARGETS = {
    "number": {"type": "float"},
    "three labels": {"type": "category", "allowed": ["p", "q", "r"]},
    "boolean": {"type": "boolean"},
}


@pytest.mark.slow  # these contracts are fixed, not yours: the whole suite (CI) checks them
@pytest.mark.parametrize("name", ["linear", "histogram gradient boosting"])
@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("features", list(ONE_KIND))
def test_contracts_with_one_kind_of_feature_compile(features: str, target: str, name: str) -> None:
    """A transformer given no columns stays unfitted: the compiled pipeline does without it.
    Three labels: softmax and multiclass boosting; a boolean target: labels True and False."""
    shape = parse_contract(
        {"columns": {**ONE_KIND[features], "y": {"role": "target", **TARGETS[target]}}}
    )
    frame = sample_frame(shape, rows=300, seed=0)
    model = reference_model(shape).set_params(estimator=estimator(name, shape.task))
    model = fit(model, frame, shape)
    compiled = compile_pipeline(model, shape)
    rows = request_rows(frame.head(40), shape)
    want = expected(model, rows, shape)
    assert_agrees([compiled.score_row(row) for row in rows], want, shape)
    assert_agrees(compiled.score_rows(columns(rows)), want, shape)
