"""Without the spark extra, the Spark engine is a one-line error that says how to install it."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from ..cli import EXIT_USAGE, main
from ..spark import REQUIREMENTS, unmet


@pytest.mark.skipif(find_spec("pyspark") is not None, reason="the spark extra is installed")
def test_without_the_extra_engine_spark_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "--engine", "spark"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: the Spark engine needs pyspark, which is not installed")
    assert "uv sync --extra spark" in err
    assert err.count("\n") == 1


def test_the_engine_checks_the_libraries_of_the_extra() -> None:
    assert {line.split("[")[0] for line in REQUIREMENTS} == {"great-expectations", "pyspark"}
    problems = unmet()
    if find_spec("pyspark") is None:
        assert problems == ["the Spark engine needs pyspark, which is not installed"]
    else:
        assert problems == []
