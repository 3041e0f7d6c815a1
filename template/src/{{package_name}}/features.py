"""Turn contract-shaped rows into model inputs.

The preprocessor is part of the fitted pipeline, so training and serving transform rows the
same way. Add engineered features here, not in notebooks.
"""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .contract import Contract


def split_features_target(
    frame: pd.DataFrame, contract: Contract
) -> tuple[pd.DataFrame, pd.Series]:
    """The feature columns (in contract order) and the target column."""
    return frame[contract.feature_names], frame[contract.target.name]


def build_preprocessor(contract: Contract) -> ColumnTransformer:
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
