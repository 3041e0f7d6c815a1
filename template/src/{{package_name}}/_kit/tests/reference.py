"""A reference pipeline owned by the kit's tests, independent of your features.py and model.py.

Tests of machinery that needs a particular model (the compiled scoring of a linear pipeline,
exact probability comparisons, a model that must beat the baseline) use this one: the features
the template starts with and a linear model for the contract's task.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..contract import Contract
from ..tasks import CLASSIFICATION


def reference_features(contract: Contract) -> ColumnTransformer:
    """Impute and scale numbers; impute and one-hot encode categories (unseen ones ignored)."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, contract.numeric_features),
            ("categorical", categorical, contract.categorical_features),
        ],
        verbose_feature_names_out=False,
    )


def reference_estimator(task: str) -> BaseEstimator:
    if task == CLASSIFICATION:
        return LogisticRegression(max_iter=1000)
    return Ridge(alpha=1.0)


def reference_model(contract: Contract) -> Pipeline:
    """An unfitted linear pipeline for the contract, shaped like the one ``user.build_model``
    makes from the template's seeds (steps ``features`` and ``estimator``)."""
    return Pipeline(
        [
            ("features", reference_features(contract)),
            ("estimator", reference_estimator(contract.task)),
        ]
    )
