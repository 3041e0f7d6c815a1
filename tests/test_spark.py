"""The Spark engine of generated projects: the spark extra, and Spark agreeing with pandas.

The engine is an extra (``uv sync --extra spark``) so the default project stays as it is.
CI runs one check of it (marked ``ci``): a project synced with the extra gives the same
validation report and exit code on both engines, and the same predictions for every row. The
rest of the layer, the kit's own Spark tests in that project (a few minutes), runs on demand:
``uv run pytest -m spark``. Spark needs Java (``.ci/run`` installs a headless JRE).
"""

from __future__ import annotations

import ast
import json
import shutil
import tomllib
from pathlib import Path

import pytest
from helpers import TEMPLATE_DIR, git_commit_all, kit_dir, render, run
from packaging.requirements import Requirement

SPARK_INIT = TEMPLATE_DIR / "src" / "{{package_name}}" / "_kit" / "spark" / "__init__.py"
needs_java = pytest.mark.skipif(
    shutil.which("java") is None, reason="Spark needs Java: .ci/run installs openjdk-17"
)


def _engine_requirements() -> list[str]:
    tree = ast.parse(SPARK_INIT.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "REQUIREMENTS":
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{SPARK_INIT} defines no REQUIREMENTS")


def test_the_spark_extra_is_what_the_engine_checks(template_src: Path, tmp_path: Path) -> None:
    seeded = tomllib.loads(
        (render(template_src, tmp_path / "project") / "pyproject.toml").read_text("utf-8")
    )
    assert seeded["project"]["optional-dependencies"]["spark"] == _engine_requirements()
    assert not any("spark" in line for line in seeded["project"]["dependencies"])
    # pyspark's metadata is written out, so locking never downloads its 455 MB source archive.
    (metadata,) = seeded["tool"]["uv"]["dependency-metadata"]
    pyspark = next(Requirement(line) for line in _engine_requirements() if "pyspark" in line)
    assert metadata["name"] == pyspark.name
    assert pyspark.specifier.contains(metadata["version"])
    assert pyspark.extras <= set(metadata["provides-extras"])


# Runs in the project: both engines through the command line, in one process (one JVM).
AGREE = """
import contextlib, io, json, shutil, sys
import pandas as pd
from my_ml_project._kit.cli import main
from my_ml_project._kit.spark import spark_session

def command(*args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()

data, broken = "data/example/deliveries.csv", sys.argv[1]
frame = pd.read_csv(data, dtype=str)
frame.loc[3, "distance_km"] = "far"          # text in a number column
frame.loc[7, "region"] = "atlantis"          # not an allowed category
frame.loc[11, "items"] = "500"               # out of range
frame.loc[12, "order_id"] = frame.loc[13, "order_id"]  # a repeated key
frame.loc[20, "hour"] = None                 # missing where not allowed
frame.to_csv(broken, index=False)
found = {}
with spark_session("local[2]"):
    for engine in ("pandas", "spark"):
        code, out = command("validate", broken, "--format", "json", "--engine", engine)
        found[f"broken {engine}"] = [code, json.loads(out)]
    found["train"] = command("train")[0]
    for engine in ("pandas", "spark"):
        found[f"predict {engine}"] = command(
            "predict", data, f"scored-{engine}.parquet", "--engine", engine
        )[0]
scored = [pd.read_parquet(f"scored-{engine}.parquet") for engine in ("pandas", "spark")]
pd.testing.assert_frame_equal(*scored, check_exact=True)  # every row, to the last bit
found["scored rows"] = len(scored[1])
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def spark_project(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project, synced with the spark extra."""
    project = render(template_src, tmp_path_factory.mktemp("spark") / "project")
    run(["uv", "sync", "--quiet", "--extra", "spark"], project)
    run(["git", "init", "-q", "-b", "main"], project)
    git_commit_all(project, "Start from proto-to-mvp")
    return project


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.ci
@needs_java
def test_spark_and_pandas_give_the_same_reports_and_predictions(spark_project: Path) -> None:
    broken = spark_project / "data" / "broken.csv"
    script = ["uv", "run", "--no-sync", "python", "-c", AGREE, str(broken)]
    result = run(script, spark_project, env={"MY_ML_PROJECT_TRACKING": "off"})  # no MLflow here
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["broken pandas"] == found["broken spark"], "same verdict, rules and rows"
    assert found["broken spark"][0] == 1
    failed = {(f["column"], f["expectation"]) for f in found["broken spark"][1]["failures"]}
    assert len(failed) == 5, failed
    # Exit 0 on both engines: the valid file's features pass the suite on Spark as on pandas.
    assert [found["train"], found["predict pandas"], found["predict spark"]] == [0, 0, 0]
    assert found["scored rows"] == 1000


@pytest.mark.slow
@pytest.mark.spark
@needs_java
def test_the_kits_spark_layer_passes(spark_project: Path) -> None:
    """The kit's Spark tests in a project with the extra: every one runs, none is skipped."""
    assert (kit_dir(spark_project) / "spark").is_dir()
    pytest = ["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov"]
    summary = run([*pytest, "-m", "spark"], spark_project).stdout.strip().splitlines()[-1]
    assert "passed" in summary, summary
    assert "skipped" not in summary, summary
