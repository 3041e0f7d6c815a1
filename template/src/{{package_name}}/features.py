"""Your features: how contract-shaped rows become model inputs. Replace me as your data needs.

The kit calls ``build_features(contract)`` and puts the result in front of your estimator in
one pipeline, so training and serving transform rows the same way. Add engineered features
here (a FunctionTransformer, your own transformer), never in notebooks.
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ._kit import Contract


def build_features(contract: Contract) -> ColumnTransformer:
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
