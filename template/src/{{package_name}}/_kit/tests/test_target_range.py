from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor

from ..contract import Contract, parse_contract
from ..predictor import LocalPredictor, clip_to_target, outside_target


def _contract(**bounds: float) -> Contract:
    target = {"type": "float", "role": "target", **bounds}
    return parse_contract({"columns": {"x": {"type": "float"}, "price": target}})


def test_numbers_outside_the_targets_range_are_counted_and_clipped() -> None:
    contract = _contract(min=0.0, max=100.0)
    values = np.array([-5.0, 0.0, 50.0, 100.0, 250.0])
    assert outside_target(values, contract) == 2
    assert clip_to_target(values, contract).tolist() == [0.0, 0.0, 50.0, 100.0, 100.0]


def test_an_open_side_of_the_range_clips_nothing_there() -> None:
    values = np.array([-5.0, 250.0])
    assert outside_target(values, _contract(min=0.0)) == 1
    assert clip_to_target(values, _contract(min=0.0)).tolist() == [0.0, 250.0]
    assert clip_to_target(values, _contract()).tolist() == [-5.0, 250.0]
    assert outside_target(values, _contract()) == 0


@pytest.mark.parametrize(
    ("constant", "served", "clipped"), [(250.0, 100.0, True), (50.0, 50.0, False)]
)
def test_served_numbers_stay_in_range_and_say_when_they_were_moved(
    constant: float, served: float, clipped: bool
) -> None:
    contract = _contract(min=0.0, max=100.0)
    model = DummyRegressor(strategy="constant", constant=constant)
    model.fit(pd.DataFrame({"x": [1.0, 2.0]}), [constant, constant])
    predictor = LocalPredictor(model, SimpleNamespace(version="v1"), contract)
    [prediction] = predictor.predict([{"x": 1.5}])
    assert (prediction.value, prediction.clipped) == (served, clipped)
