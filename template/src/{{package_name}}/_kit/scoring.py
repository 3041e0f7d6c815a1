"""Score rows without scikit-learn's per-call overhead: the fast path for serving.

A scikit-learn pipeline spends milliseconds on every call, however few the rows: it checks its
input and builds DataFrames, column by column. For a single-row request that, not the model,
is the cost. ``compile_pipeline`` reads a fitted pipeline shaped like the one ``model.py``
builds (a ColumnTransformer, then an estimator) into a ``CompiledPipeline``:

- the features: SimpleImputer, StandardScaler, MinMaxScaler, OneHotEncoder, OrdinalEncoder
  (in sub-pipelines or alone) and passthrough number columns, each done in plain Python for one
  row (where every NumPy call costs more than the arithmetic) and in NumPy for many;
- for one row, the estimator too (``LINEAR``, ``TREES``): a linear model's weights, or a tree
  ensemble's nodes as flat arrays that NumPy walks for all trees at once. Leaves are added up
  in the order scikit-learn adds them, and boosting's raw scores become probabilities through
  the estimator's own loss, so the answers are scikit-learn's to the last bit, or nearly;
- for more than ``ROW_BY_ROW`` rows, the estimator's own ``predict_proba`` or ``predict`` on
  the features as an array: scikit-learn's answers, without the DataFrames.

Anything else raises ``CannotCompileError`` naming the part, and the pipeline scores it. Rows
the compiled path cannot take as they are (a missing value reaching an estimator scored by
hand, a category its encoder refuses) get None, and the pipeline answers them, its errors
included. Before it is used, ``verify`` checks a compiled pipeline against the pipeline on rows
made from the contract (``predictor.py``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
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
from sklearn.linear_model import (
    BayesianRidge,
    ElasticNet,
    ElasticNetCV,
    HuberRegressor,
    Lasso,
    LassoCV,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    QuantileRegressor,
    Ridge,
    RidgeCV,
    SGDRegressor,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.extmath import softmax

from .contract import Contract
from .errors import ProjectError
from .samples import sample_frame

Columns = Mapping[str, Sequence[Any] | pd.Series]
Row = Mapping[str, Any]
Head = Callable[[list[float]], list[float]]  # a feature row -> probabilities, or [value]
# How close the scorer must come to the pipeline (``verify``): labels equal, and each
# probability or predicted number within RTOL of the pipeline's (ATOL near zero).
RTOL, ATOL = 1e-9, 1e-12
CHECK_ROWS = 100  # rows made from the contract that ``verify`` scores both ways
# Up to this many rows are scored one by one; more go to the estimator as one array, whose
# checks cost about as much as scoring a dozen rows by hand.
ROW_BY_ROW = 16
NUMBER, CATEGORY = "number", "category"
_MISSING = object()  # the key of a missing value among an encoder's categories


class CannotCompileError(ProjectError):
    """A pipeline the fast path cannot compute; the message names the part. The predictor
    catches it and serves the pipeline."""


class _RefusedError(ProjectError):
    """A row the compiled features cannot take (an unknown category the encoder refuses)."""


class _Step(NamedTuple):
    """One fitted transformer: ``row`` on one row's values, ``rows`` on columns (arrays)."""

    row: Callable[[list[Any]], list[Any]]
    rows: Callable[[list[np.ndarray]], list[np.ndarray]]


@dataclass(frozen=True)
class CompiledPipeline:
    """The features as groups of (columns, which are numbers, steps), then the estimator: by
    ``head`` for one row, itself for an array."""

    groups: list[tuple[list[str], list[bool], list[_Step]]]
    head: Head
    estimator: Any

    def score(self, columns: Columns) -> np.ndarray | None:
        """Probabilities (a classifier) or values, rows x outputs; None: leave these rows to
        the pipeline."""
        if len(next(iter(columns.values()))) > ROW_BY_ROW:
            return self.score_rows(columns)
        names = list(columns)
        rows = zip(*columns.values(), strict=True)
        scores = [self.score_row(dict(zip(names, row, strict=True))) for row in rows]
        return None if None in scores else np.array(scores, dtype=float)

    def score_row(self, row: Row) -> list[float] | None:
        """Class probabilities (a classifier) or ``[value]``, by hand; or None."""
        try:
            values = self.features(row)
        except _RefusedError:
            return None
        if any(value != value for value in values):  # NaN: scikit-learn decides (or refuses)
            return None
        return self.head(values)

    def score_rows(self, columns: Columns) -> np.ndarray | None:
        """``score`` by the estimator itself, on the features as an array."""
        try:
            matrix = self.matrix(columns)
        except _RefusedError:
            return None
        if is_classifier(self.estimator):
            return self.estimator.predict_proba(matrix)
        return np.asarray(self.estimator.predict(matrix), dtype=float).reshape(-1, 1)

    def features(self, row: Row) -> list[Any]:
        """One row as the ColumnTransformer outputs it."""
        out: list[Any] = []
        for names, numbers, steps in self.groups:
            values = [
                _number(row[n]) if number else row[n]
                for n, number in zip(names, numbers, strict=True)
            ]
            for step in steps:
                values = step.row(values)
            out += values
        return out

    def matrix(self, columns: Columns) -> np.ndarray:
        """Rows as the ColumnTransformer outputs them (rows x features)."""
        out: list[np.ndarray] = []
        for names, numbers, steps in self.groups:
            values = [
                _floats(columns[n]) if number else np.array(list(columns[n]), dtype=object)
                for n, number in zip(names, numbers, strict=True)
            ]
            for step in steps:
                values = step.rows(values)
            out += values
        return np.column_stack(out).astype(float)


def compile_pipeline(model: Any, contract: Contract) -> CompiledPipeline:
    """A fitted Pipeline(ColumnTransformer, estimator) compiled, or CannotCompileError saying
    why it cannot be."""
    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        raise CannotCompileError(
            "it is not a pipeline of two steps, the features then the estimator"
        )
    features, estimator = model.steps[0][1], model.steps[1][1]
    if not isinstance(features, ColumnTransformer):
        raise CannotCompileError(
            f"its features are a {type(features).__name__}, not a ColumnTransformer"
        )
    build = _HEADS.get(type(estimator))
    if build is None:
        raise CannotCompileError(f"{type(estimator).__name__} has no fast scorer")
    try:  # fitted attributes read as this scikit-learn names them
        groups, width = _features(features, contract)
        head = build(estimator)
    except (AttributeError, LookupError, TypeError, ValueError) as exc:
        raise CannotCompileError(f"reading it failed: {type(exc).__name__}: {exc}") from exc
    if width != getattr(estimator, "n_features_in_", None):
        raise CannotCompileError("its features do not make the columns its estimator was fitted on")
    if hasattr(estimator, "feature_names_in_"):
        raise CannotCompileError("its estimator was fitted on named columns (a DataFrame)")
    return CompiledPipeline(groups, head, estimator)


def verify(
    compiled: CompiledPipeline, contract: Contract, reference: Callable[[Columns], tuple[Any, Any]]
) -> str | None:
    """None if ``compiled`` answers as ``reference`` (the pipeline) on rows made from the
    contract, one by one and as an array: the same labels, and probabilities and numbers
    within RTOL. Otherwise what differs."""
    rows = check_rows(contract)
    columns = {name: [row[name] for row in rows] for name in rows[0]}
    try:
        values, probabilities = reference(columns)
        one_by_one = [compiled.score_row(row) for row in rows]
        together = compiled.score_rows(columns)
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        return f"scoring rows made from the contract failed: {type(exc).__name__}: {exc}"
    classifier = probabilities is not None
    if together is None:  # an encoder refused a row: the pipeline scores such tables
        together = [None] * len(rows)
    expected = np.asarray(probabilities if classifier else np.reshape(values, (-1, 1)), float)
    for way, scores in (("alone", one_by_one), ("in an array", together)):
        for number, (score, want) in enumerate(zip(scores, expected, strict=True), start=1):
            if score is None:
                continue  # the pipeline answers this row
            got = np.asarray(score, dtype=float).tolist()
            if not np.allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True):
                return f"row {number} {way}: {got} where the pipeline gives {want.tolist()}"
            if classifier and np.argmax(got) != np.argmax(want):
                return f"row {number} {way}: another label than the pipeline's ({got})"
    return None


def check_rows(contract: Contract, rows: int = CHECK_ROWS) -> list[dict[str, Any]]:
    """Rows as a request brings them (None where missing), every allowed category among them."""
    frame = sample_frame(contract, rows=max(rows, *_category_counts(contract)), seed=1)
    features = frame[contract.feature_names].astype(object)
    records = features.where(features.notna(), None).to_dict("records")
    for column in contract.features:
        allowed = column.allowed if column.type == "category" else None
        for index, record in enumerate(records):
            if allowed and record[column.name] is not None:
                record[column.name] = allowed[index % len(allowed)]
    return records


def _category_counts(contract: Contract) -> list[int]:
    return [len(c.allowed or ()) for c in contract.features if c.type == "category"] or [0]


# The features: a ColumnTransformer's groups of columns, each a list of steps.


def _features(features: ColumnTransformer, contract: Contract) -> tuple[list[Any], int]:
    if features.transformer_weights:
        raise CannotCompileError("its ColumnTransformer weighs transformers")
    kinds = {c.name: _kind(c.type) for c in contract.features}
    groups, width = [], 0
    for name, transformer, columns in features.transformers_:
        if transformer == "drop" or len(columns) == 0:
            continue  # dropped, or given no columns (then left unfitted): it adds nothing
        if not all(isinstance(column, str) and column in kinds for column in columns):
            raise CannotCompileError(
                f"its transformer {name!r} takes columns that are not features"
            )
        steps, out = _group(transformer, [kinds[column] for column in columns])
        groups.append((list(columns), [kinds[c] == NUMBER for c in columns], steps))
        width += len(out)
    return groups, width


def _kind(column_type: str) -> str | None:
    if column_type in ("integer", "float", "boolean"):
        return NUMBER
    return CATEGORY if column_type == "category" else None


def _group(transformer: Any, kinds: list[Any]) -> tuple[list[Any], list[Any]]:
    """The steps of one group and the kinds of the columns it outputs."""
    parts = transformer.steps if isinstance(transformer, Pipeline) else [("", transformer)]
    steps = []
    for _, part in parts:
        if part in (None, "passthrough") or _identity(part):
            continue
        build = _STEPS.get(type(part))
        if build is None:
            raise CannotCompileError(f"its features use {type(part).__name__}")
        step, kinds = build(part, kinds)
        steps.append(step)
    if any(kind != NUMBER for kind in kinds):
        raise CannotCompileError("its features pass text to the estimator")
    return steps, kinds


def _impute(imputer: SimpleImputer, kinds: list[Any]) -> tuple[_Step, list[Any]]:
    fills, marker = list(imputer.statistics_), imputer.missing_values
    if not (isinstance(marker, float) and math.isnan(marker)):
        raise CannotCompileError("its SimpleImputer looks for another missing value than NaN")
    if imputer.add_indicator or any(map(_missing, fills)):
        raise CannotCompileError("its SimpleImputer adds indicators, or drops empty columns")

    def row(values: list[Any]) -> list[Any]:
        return [fill if _missing(v) else v for v, fill in zip(values, fills, strict=True)]

    def rows(columns: list[np.ndarray]) -> list[np.ndarray]:
        return [
            np.where(np.isnan(c), fill, c)
            if c.dtype.kind == "f"
            else np.array([fill if _missing(v) else v for v in c], dtype=object)
            for c, fill in zip(columns, fills, strict=True)
        ]

    return _Step(row, rows), kinds


def _standard(scaler: StandardScaler, kinds: list[Any]) -> tuple[_Step, list[Any]]:
    _numbers_only(kinds, scaler)
    count = len(kinds)
    means = scaler.mean_.tolist() if scaler.with_mean else [0.0] * count
    scales = scaler.scale_.tolist() if scaler.with_std else [1.0] * count

    def standardize(values: list[Any]) -> list[Any]:  # numbers, or arrays of them
        return [(v - m) / s for v, m, s in zip(values, means, scales, strict=True)]

    return _Step(standardize, standardize), kinds


def _min_max(scaler: MinMaxScaler, kinds: list[Any]) -> tuple[_Step, list[Any]]:
    _numbers_only(kinds, scaler)
    scales, shifts = scaler.scale_.tolist(), scaler.min_.tolist()
    low, high = scaler.feature_range if scaler.clip else (-math.inf, math.inf)

    def row(values: list[float]) -> list[float]:
        moved = [v * s + m for v, s, m in zip(values, scales, shifts, strict=True)]
        return [min(max(v, low), high) for v in moved] if scaler.clip else moved

    def rows(columns: list[np.ndarray]) -> list[np.ndarray]:
        moved = [c * s + m for c, s, m in zip(columns, scales, shifts, strict=True)]
        return [np.clip(c, low, high) for c in moved] if scaler.clip else moved

    return _Step(row, rows), kinds


def _one_hot(encoder: OneHotEncoder, kinds: list[Any]) -> tuple[_Step, list[Any]]:
    if encoder._infrequent_enabled:
        raise CannotCompileError("its OneHotEncoder groups infrequent categories")
    dropped = encoder.drop_idx_ if encoder.drop_idx_ is not None else [None] * len(kinds)
    blocks = [
        _positions(cats, drop) for cats, drop in zip(encoder.categories_, dropped, strict=True)
    ]
    strict = encoder.handle_unknown == "error"

    def position(value: Any, positions: dict[Any, int]) -> int:
        """The value's column in its block; -1 for none (unknown, or the dropped category)."""
        key = _key(value)
        if strict and key not in positions:
            raise _RefusedError
        return positions.get(key, -1)

    def row(values: list[Any]) -> list[float]:
        out: list[float] = []
        for value, (positions, width) in zip(values, blocks, strict=True):
            block = [0.0] * width
            column = position(value, positions)
            if column >= 0:
                block[column] = 1.0
            out += block
        return out

    def rows(columns: list[np.ndarray]) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for values, (positions, width) in zip(columns, blocks, strict=True):
            block = np.zeros((len(values), width))
            hits = np.array([position(value, positions) for value in values], dtype=np.intp)
            found = np.flatnonzero(hits >= 0)
            block[found, hits[found]] = 1.0
            out += list(block.T)
        return out

    return _Step(row, rows), [NUMBER] * sum(width for _, width in blocks)


def _positions(categories: np.ndarray, drop: Any) -> tuple[dict[Any, int], int]:
    """Each category's column in a one-hot block (-1: the dropped one), and the width."""
    positions: dict[Any, int] = {}
    for index, category in enumerate(categories):
        skip = drop is not None and index >= drop
        positions[_key(category)] = -1 if drop == index else index - skip
    return positions, len(categories) - (drop is not None)


def _ordinal(encoder: OrdinalEncoder, kinds: list[Any]) -> tuple[_Step, list[Any]]:
    if encoder._infrequent_enabled:
        raise CannotCompileError("its OrdinalEncoder groups infrequent categories")
    missing = float(encoder.encoded_missing_value)
    codes = [
        {_key(c): missing if _missing(c) else float(i) for i, c in enumerate(categories)}
        for categories in encoder.categories_
    ]
    unknown = None
    if encoder.handle_unknown == "use_encoded_value":
        unknown = float(encoder.unknown_value)

    def row(values: list[Any]) -> list[float]:
        out = [table.get(_key(v), unknown) for v, table in zip(values, codes, strict=True)]
        if None in out:
            raise _RefusedError
        return out

    def rows(columns: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for values, table in zip(columns, codes, strict=True):
            coded = [table.get(_key(v), unknown) for v in values]
            if None in coded:
                raise _RefusedError
            out.append(np.array(coded, dtype=float))
        return out

    return _Step(row, rows), [NUMBER] * len(kinds)


def _identity(step: Any) -> bool:
    """A FunctionTransformer without a function (what "passthrough" becomes once fitted)."""
    return type(step) is FunctionTransformer and step.func is None


def _numbers_only(kinds: list[Any], step: Any) -> None:
    if any(kind != NUMBER for kind in kinds):
        raise CannotCompileError(f"its {type(step).__name__} is given text")


_STEPS: dict[type, Callable[[Any, list[Any]], tuple[_Step, list[Any]]]] = {
    SimpleImputer: _impute,
    StandardScaler: _standard,
    MinMaxScaler: _min_max,
    OneHotEncoder: _one_hot,
    OrdinalEncoder: _ordinal,
}


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> float:
    return math.nan if _missing(value) else float(value)


def _floats(values: Sequence[Any] | pd.Series) -> np.ndarray:
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.array([_number(value) for value in values], dtype=float)


def _key(value: Any) -> Any:
    return _MISSING if _missing(value) else value


# The estimators: a head turns the feature row into probabilities, or a one-element [value].


def _logistic(model: LogisticRegression) -> Head:
    """LogisticRegression.predict_proba: the logistic function for two classes, else softmax."""
    weights = np.atleast_2d(model.coef_).tolist()
    intercept = np.atleast_1d(model.intercept_).tolist()
    if len(weights) == 1:

        def binary(x: list[float]) -> list[float]:
            positive = float(expit(_dot(weights[0], x, intercept[0])))
            return [1.0 - positive, positive]

        return binary

    def multinomial(x: list[float]) -> list[float]:
        decision = [_dot(w, x, b) for w, b in zip(weights, intercept, strict=True)]
        return softmax(np.array([decision]))[0].tolist()

    return multinomial


def _linear(model: Any) -> Head:
    """A linear regressor: the features times the weights, plus the intercept."""
    if np.ndim(model.coef_) != 1:
        raise CannotCompileError(f"{type(model).__name__} predicts several targets")
    weights, intercept = np.asarray(model.coef_, dtype=float).tolist(), float(model.intercept_)
    return lambda x: [_dot(weights, x, intercept)]


def _dot(weights: list[float], x: list[float], intercept: float) -> float:
    """The intercept plus the features times their weights, in plain Python (one row)."""
    total = intercept
    for weight, value in zip(weights, x, strict=True):
        total += weight * value
    return total


@dataclass(frozen=True)
class _Forest:
    """Trees as flat arrays, walked level by level for all trees at once.

    Node ``n`` sends a row to ``children[2 * n + (x[feature[n]] > threshold[n])]``; a leaf
    leads to itself, so within ``depth`` steps every tree sits on a leaf. The first "tree" is
    a single leaf holding the start (a forest's zeros, boosting's baseline), to which the other
    leaves' values are added one tree after another, in scikit-learn's order.
    """

    feature: np.ndarray
    threshold: np.ndarray
    children: np.ndarray
    leaf: np.ndarray
    values: np.ndarray  # (nodes, outputs): what each leaf adds
    roots: np.ndarray
    depth: int
    finish: Callable[[np.ndarray], np.ndarray]
    single: bool  # scikit-learn's trees compare float32 features with float64 thresholds

    def __call__(self, row: list[float]) -> list[float]:
        x = np.array(row, dtype=np.float32 if self.single else float).astype(float)
        node = self.roots
        for level in range(1, self.depth + 1):
            node = self.children[2 * node + (x[self.feature[node]] > self.threshold[node])]
            if level % EVERY == 0 and self.leaf[node].all():
                break  # a shallower tree than the deepest everywhere
        totals = np.add.accumulate(self.values[node], axis=0)[-1]
        return self.finish(totals).tolist()


EVERY = 4  # levels between checks whether every tree has reached a leaf
MAX_NODES = 2_000_000  # about 100 MB of arrays: a larger forest is left to scikit-learn


def _forest(
    trees: list[tuple[np.ndarray, ...]],
    start: np.ndarray,
    finish: Callable[[np.ndarray], np.ndarray],
    *,
    single: bool,
) -> _Forest:
    """``trees``: (feature, threshold, left, right, is_leaf, values, depth) each."""
    count = sum(len(tree[4]) for tree in trees)
    if count > MAX_NODES:
        raise CannotCompileError(f"its trees have {count} nodes, more than {MAX_NODES} to copy")
    start = np.asarray(start, dtype=float).reshape(1, -1)
    first = ([0], [0.0], [-1], [-1], np.array([True]), start, 0)
    parts: list[list[np.ndarray]] = [[], [], [], [], []]
    roots, offset, depth = [], 0, 0
    for feature, threshold, left, right, leaf, values, tree_depth in [first, *trees]:
        nodes = offset + np.arange(len(leaf))
        parts[0].append(np.where(leaf, 0, feature))
        parts[1].append(np.where(leaf, np.inf, threshold))
        kids = [np.where(leaf, nodes, offset + np.asarray(side)) for side in (left, right)]
        parts[2].append(np.column_stack(kids).ravel())
        parts[3].append(leaf)
        parts[4].append(np.where(leaf[:, np.newaxis], values, 0.0))
        roots.append(offset)
        offset, depth = offset + len(leaf), max(depth, int(tree_depth))
    feature, threshold, children, leaf, values = (np.concatenate(part) for part in parts)
    return _Forest(
        feature.astype(np.intp),
        threshold.astype(float),
        children.astype(np.intp),
        leaf.astype(bool),
        values.astype(float),
        np.array(roots, dtype=np.intp),
        depth,
        finish,
        single,
    )


def _sklearn_tree(tree: Any, values: np.ndarray) -> tuple[np.ndarray, ...]:
    structure = tree.tree_
    leaf = structure.children_left == -1
    return (
        structure.feature,
        structure.threshold,
        structure.children_left,
        structure.children_right,
        leaf,
        values,
        structure.max_depth,
    )


def _averaged(model: Any) -> Head:
    """Decision trees, random forests, extra trees: the mean of the trees' answers."""
    trees = model.estimators_ if hasattr(model, "estimators_") else [model]
    if model.n_outputs_ != 1:
        raise CannotCompileError(f"{type(model).__name__} predicts several targets")
    classifier = hasattr(model, "classes_")
    parts = []
    for tree in trees:
        values = tree.tree_.value[:, 0, :]
        if classifier:  # DecisionTreeClassifier.predict_proba: each leaf's shares
            values = values[:, : model.n_classes_]
            total = values.sum(axis=1)[:, np.newaxis]
            values = values / np.where(total == 0.0, 1.0, total)
        parts.append(_sklearn_tree(tree, values))
    count = len(trees)  # a single tree's answer divided by 1 is the same number

    def mean(totals: np.ndarray) -> np.ndarray:
        return totals / count

    return _forest(parts, np.zeros(parts[0][5].shape[1]), mean, single=True)


def _gradient_boosting(model: Any) -> Head:
    """GradientBoosting*: the init estimator's constant plus learning rate times each tree."""
    if model.init_ != "zero" and type(model.init_) not in (DummyClassifier, DummyRegressor):
        raise CannotCompileError(
            f"{type(model).__name__} starts from a {type(model.init_).__name__}"
        )
    if isinstance(model.init_, DummyClassifier) and model.init_.strategy != "prior":
        raise CannotCompileError(f"{type(model).__name__} starts from a random DummyClassifier")
    outputs = model.estimators_.shape[1]
    with warnings.catch_warnings():  # a model fitted on named columns, given an array
        warnings.simplefilter("ignore", UserWarning)
        start = model._raw_predict_init(np.zeros((1, model.n_features_in_)))[0]
    parts = []
    for stage in model.estimators_:
        for output, tree in enumerate(stage):
            values = np.zeros((tree.tree_.node_count, outputs))
            values[:, output] = model.learning_rate * tree.tree_.value[:, 0, 0]
            parts.append(_sklearn_tree(tree, values))
    finish = _probabilities(model._loss) if is_classifier(model) else _same
    return _forest(parts, start, finish, single=True)


def _hist_gradient_boosting(model: Any) -> Head:
    """HistGradientBoosting*: the baseline plus each tree, through the loss's link."""
    if model.is_categorical_ is not None and model.is_categorical_.any():
        raise CannotCompileError(f"{type(model).__name__} splits on categories")
    outputs = model.n_trees_per_iteration_
    parts = []
    for iteration in model._predictors:
        for output, predictor in enumerate(iteration):
            nodes = predictor.nodes
            values = np.zeros((len(nodes), outputs))
            values[:, output] = nodes["value"]
            leaf = nodes["is_leaf"].astype(bool)
            parts.append(
                (
                    nodes["feature_idx"],
                    nodes["num_threshold"],
                    nodes["left"].astype(np.intp),
                    nodes["right"].astype(np.intp),
                    leaf,
                    values,
                    nodes["depth"].max(),
                )
            )
    finish = _probabilities(model._loss) if is_classifier(model) else model._loss.link.inverse
    return _forest(parts, model._baseline_prediction[0], finish, single=False)


def _probabilities(loss: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A boosting classifier's raw scores to probabilities, by its own loss."""
    return lambda raw: loss.predict_proba(raw[np.newaxis, :])[0]


def _same(raw: np.ndarray) -> np.ndarray:
    return raw


LINEAR = (
    LogisticRegression,
    LogisticRegressionCV,
    LinearRegression,
    Ridge,
    RidgeCV,
    Lasso,
    LassoCV,
    ElasticNet,
    ElasticNetCV,
    HuberRegressor,
    BayesianRidge,
    SGDRegressor,
    QuantileRegressor,
)
TREES = (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
_HEADS: dict[type, Callable[[Any], Head]] = {
    LogisticRegression: _logistic,
    LogisticRegressionCV: _logistic,
    **dict.fromkeys(LINEAR[2:], _linear),
    **dict.fromkeys(TREES[:6], _averaged),
    GradientBoostingClassifier: _gradient_boosting,
    GradientBoostingRegressor: _gradient_boosting,
    HistGradientBoostingClassifier: _hist_gradient_boosting,
    HistGradientBoostingRegressor: _hist_gradient_boosting,
}
