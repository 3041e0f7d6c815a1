"""MLflow tracking of tune and train: a parent run per search with a child per trial, a training
run next to the baseline's metrics, the run ids in the registry, and a store that fails without
costing the model."""

from __future__ import annotations

import ast
import hashlib
import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from ..cli import EXIT_OK, EXIT_USAGE, main
from ..contract import Contract
from ..model_card import build_card
from ..records import TrackedRun
from ..registry import Registry
from ..settings import ENV_PREFIX
from ..tracking import Tracker, shown_uri
from ..user import model_spec
from .conftest import settings_in

pytestmark = pytest.mark.slow  # MLflow

TRIALS = 4


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A local MLflow store, made once per session (MLflow sets up its tables: seconds)."""
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlruns.db'}"
    settings = settings_in(folder).model_copy(
        update={"tracking": "require", "tracking_uri": uri, "tracking_artifacts": folder / "art"}
    )
    assert Tracker.open(settings, "test") is not None
    return uri


@pytest.fixture
def tracked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_path: Path, store: str
) -> dict[str, Any]:
    """The commands track to ``store``, in an experiment of this test's own, and write their
    files to ``tmp_path``."""
    experiment = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        "DATA": str(data_path),
        "MODELS_DIR": str(tmp_path / "models"),
        "PARAMS": str(tmp_path / "params.json"),
        "TRACKING": "warn",
        "TRACKING_URI": store,
        "TRACKING_ARTIFACTS": str(tmp_path / "mlartifacts"),
    }
    for name, value in env.items():
        monkeypatch.setenv(f"{ENV_PREFIX}{name}", value)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", experiment)
    return {"uri": store, "experiment": experiment, "models": tmp_path / "models"}


def _runs(uri: str, experiment: str) -> list[Any]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment} in {uri}"
    return client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])


def test_tune_and_train_log_a_search_with_its_trials_and_a_run_beside_the_baseline(
    tracked: dict[str, Any], contract: Contract, tmp_path: Path
) -> None:
    assert main(["tune", "--trials", str(TRIALS)]) == EXIT_OK
    assert main(["train"]) == EXIT_OK
    runs = _runs(tracked["uri"], tracked["experiment"])
    searches = [r for r in runs if r.data.tags.get("kind") == "search"]
    trials = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    trainings = [r for r in runs if r.data.tags.get("kind") == "training"]
    assert (len(searches), len(trials), len(trainings), len(runs)) == (1, TRIALS, 1, TRIALS + 2)
    search, training = searches[0], trainings[0]

    fingerprints = {"contract_fingerprint": contract.fingerprint()}
    params = json.loads((tmp_path / "params.json").read_text(encoding="utf-8"))
    fingerprints["data_sha256"] = params["tuning"]["data"]["sha256"]
    metric = f"cv_{params['tuning']['metric']}"
    for trial in trials:
        assert trial.data.tags["mlflow.parentRunId"] == search.info.run_id
        assert trial.info.status == "FINISHED"
        assert fingerprints.items() <= trial.data.tags.items()
        assert trial.data.params, "each trial logs the parameters it tried"
        assert {metric, "duration_s"} <= set(trial.data.metrics)
    best = max if model_spec(contract).higher_is_better else min  # a tie with the defaults too
    assert search.data.metrics[metric] == best(t.data.metrics[metric] for t in trials)
    assert fingerprints.items() <= search.data.tags.items()
    assert params["tuning"]["mlflow_run_id"] == search.info.run_id

    metadata = Registry(tracked["models"]).metadata("v1")
    assert metadata.mlflow is not None
    assert metadata.mlflow.run_id == training.info.run_id
    assert metadata.tuning is not None
    assert metadata.tuning.mlflow_run_id == search.info.run_id
    assert training.data.tags["tuning_run_id"] == search.info.run_id
    assert training.data.tags["registry_version"] == "v1"
    assert fingerprints.items() <= training.data.tags.items()
    for name, value in metadata.metrics.model.items():
        assert training.data.metrics[name] == pytest.approx(value)
        assert training.data.metrics[f"baseline_{name}"] == pytest.approx(
            metadata.metrics.baseline[name]
        )

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracked["uri"])
    logged = {f.path for f in client.list_artifacts(training.info.run_id, "model")}
    assert {"model/model.pkl", "model/metadata.json", "model/profile.json"} <= logged
    pickle = client.download_artifacts(training.info.run_id, "model/model.pkl", str(tmp_path))
    assert hashlib.sha256(Path(pickle).read_bytes()).hexdigest() == metadata.pickle_sha256
    contract_files = {f.path for f in client.list_artifacts(training.info.run_id)}
    assert contract_files & {"contract.toml", "contract.json"}

    card = build_card(Registry(tracked["models"]), contract, tmp_path / "ACCEPTANCE.toml")
    assert f"MLflow run `{training.info.run_id}`" in card.text
    assert f"child of MLflow run `{search.info.run_id}`" in card.text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens


def test_an_unreachable_server_warns_and_the_model_is_registered_untracked(
    tracked: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{_closed_port()}")
    assert main(["train"]) == EXIT_OK
    error = capsys.readouterr().err
    assert "WARNING" in error
    assert "cannot reach the MLflow tracking store http://127.0.0.1:" in error
    assert "train goes on untracked" in error
    metadata = Registry(tracked["models"]).metadata("v1")
    assert metadata.mlflow is None


def test_an_unreachable_store_stops_the_command_before_training_when_required(
    tracked: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv(f"{ENV_PREFIX}TRACKING", "require")
    assert main(["train"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert error.startswith("error: cannot reach the MLflow tracking store"), error
    assert not Registry(tracked["models"]).versions()


@pytest.mark.parametrize("setting", ["warn", "require"])
def test_a_store_failing_mid_run_never_costs_the_model(
    tracked: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setting: str,
) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    def full(*args: Any, **kwargs: Any) -> None:
        raise MlflowException("the artifact store is full")

    monkeypatch.setattr(MlflowClient, "log_artifact", full)
    monkeypatch.setenv(f"{ENV_PREFIX}TRACKING", setting)
    code = main(["train"])
    error = capsys.readouterr().err
    assert "WARNING" in error
    assert "the MLflow store" in error
    assert "failed logging contract.toml: the artifact store is full" in error
    metadata = Registry(tracked["models"]).metadata("v1")  # registered all the same
    run = metadata.mlflow
    assert run is not None, "the run had started: the metadata names it"
    if setting == "warn":
        assert code == EXIT_OK
    else:
        assert code == EXIT_USAGE
        assert "error: model v1 is registered, but the MLflow store" in error
    (logged,) = _runs(tracked["uri"], tracked["experiment"])
    assert logged.info.run_id == run.run_id
    assert "baseline_" + metadata.metrics.primary in logged.data.metrics, "logged before it failed"


def test_run_links_and_uris_carry_no_credentials() -> None:
    assert shown_uri("https://ana:secret@mlflow.example.org/") == "https://mlflow.example.org/"
    assert shown_uri("sqlite:///mlruns.db") == "sqlite:///mlruns.db"
    served = TrackedRun(uri="https://mlflow.example.org/", experiment_id="3", run_id="abc")
    assert served.url == "https://mlflow.example.org/#/experiments/3/runs/abc"
    assert TrackedRun(uri="sqlite:///mlruns.db", experiment_id="1", run_id="abc").url is None


def test_tracking_off_never_tries_the_store(
    tracked: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}TRACKING", "off")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{_closed_port()}")
    assert main(["train"]) == EXIT_OK
    assert "MLflow" not in capsys.readouterr().err
    assert Registry(tracked["models"]).metadata("v1").mlflow is None


KIT = Path(__file__).parents[1]


def _imported_on_import(module: str) -> set[str]:
    """What importing the kit module ``module`` imports: its module-level imports (not those
    inside functions or for type checking), following the kit's own modules."""
    seen, found, todo = set(), set(), [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = KIT / f"{name}.py" if (KIT / f"{name}.py").is_file() else KIT / name / "__init__.py"
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for statement in ast.walk(node) if isinstance(node, ast.If | ast.Try) else [node]:
                if isinstance(statement, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in statement.names}
                elif isinstance(statement, ast.ImportFrom) and statement.level == 0:
                    found.add(str(statement.module).split(".")[0])
                elif isinstance(statement, ast.ImportFrom) and statement.level == 1:
                    names = [statement.module] if statement.module else []
                    names += [] if statement.module else [a.name for a in statement.names]
                    todo += [n.split(".")[0] for n in names]
    return found


@pytest.mark.parametrize("module", ["cli", "service", "predictor"])
def test_the_command_line_and_serving_start_without_mlflow_or_matplotlib(module: str) -> None:
    imported = _imported_on_import(module)
    assert "pydantic" in imported, "the walk follows the kit's own imports"
    assert not imported & {"mlflow", "matplotlib"}, "import them inside the functions using them"
