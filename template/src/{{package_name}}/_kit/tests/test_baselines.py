from __future__ import annotations

import pandas as pd
import pytest
from sklearn.base import clone

from ..baselines import GroupBaseline
from ..errors import ProjectError
from ..tasks import CLASSIFICATION, REGRESSION

# Per task: training features and target, then the answers expected overall and per group.
CASES = {
    CLASSIFICATION: (
        pd.DataFrame({"group": ["a", "a", "a", "b", "b"]}),
        pd.Series(["no", "no", "yes", "yes", "yes"]),
        "yes",
        {"a": "no", "b": "yes"},
    ),
    REGRESSION: (
        pd.DataFrame({"group": ["a", "a", "b", "b"]}),
        pd.Series([10.0, 20.0, 40.0, 50.0]),
        30.0,
        {"a": 15.0, "b": 45.0},
    ),
}
TASKS = pytest.mark.parametrize("task", list(CASES))


@TASKS
def test_overall_baseline_predicts_the_majority_label_or_the_mean(task: str) -> None:
    features, target, overall, _ = CASES[task]
    model = GroupBaseline(task).fit(features, target)
    assert model.predict(features).tolist() == [overall] * len(features)


@TASKS
def test_grouped_baseline_predicts_each_groups_answer(task: str) -> None:
    features, target, _, per_group = CASES[task]
    model = GroupBaseline(task, group_by="group").fit(features, target)
    assert model.predict(pd.DataFrame({"group": ["b", "a"]})).tolist() == [
        per_group["b"],
        per_group["a"],
    ]


def test_ties_go_to_the_first_label_so_fits_repeat() -> None:
    features = pd.DataFrame({"group": ["a", "a"]})
    model = GroupBaseline(CLASSIFICATION).fit(features, pd.Series(["yes", "no"]))
    assert model.predict(features.head(1)).tolist() == ["no"]


def test_regression_predicts_the_mean_not_the_median() -> None:
    features = pd.DataFrame({"group": ["a", "a", "a"]})
    model = GroupBaseline(REGRESSION).fit(features, pd.Series([1.0, 2.0, 9.0]))
    assert model.predict(features.head(1)).tolist() == [4.0]


@TASKS
def test_unseen_group_falls_back_to_the_overall_prediction(task: str) -> None:
    features, target, overall, per_group = CASES[task]
    model = GroupBaseline(task, group_by="group").fit(features, target)
    unseen = pd.DataFrame({"group": ["zzz", "a"]})
    assert model.predict(unseen).tolist() == [overall, per_group["a"]]


@TASKS
def test_fit_ignores_the_index_of_its_inputs(task: str) -> None:
    features, target, _, per_group = CASES[task]
    shuffled = features.set_axis(range(100, 100 + len(features)))
    model = GroupBaseline(task, group_by="group").fit(shuffled, target)
    assert model.by_group_ == per_group


def test_categorical_groups_without_rows_are_left_out() -> None:
    features = pd.DataFrame({"group": pd.Categorical(["a", "a"], categories=["a", "b"])})
    model = GroupBaseline(REGRESSION, group_by="group").fit(features, pd.Series([1.0, 3.0]))
    assert model.by_group_ == {"a": 2.0}
    assert model.predict(pd.DataFrame({"group": ["b"]})).tolist() == [2.0]


@TASKS
@pytest.mark.parametrize("group_by", [None, "group"])
def test_baseline_is_a_clonable_sklearn_estimator(task: str, group_by: str | None) -> None:
    assert clone(GroupBaseline(task, group_by)).get_params() == {
        "task": task,
        "group_by": group_by,
    }


@pytest.mark.parametrize(
    ("task", "group_by", "words"),
    [
        (CLASSIFICATION, None, "most frequent label overall"),
        (CLASSIFICATION, "group", "most frequent label per group"),
        (REGRESSION, None, "mean target overall"),
        (REGRESSION, "group", "mean target per group"),
    ],
)
def test_describe_says_how_it_predicts(task: str, group_by: str | None, words: str) -> None:
    assert GroupBaseline(task, group_by).describe() == words


def test_an_unknown_task_is_a_one_line_error() -> None:
    features, target, _, _ = CASES[REGRESSION]
    with pytest.raises(ProjectError, match="task must be one of classification, regression"):
        GroupBaseline("ranking").fit(features, target)
