"""The readiness checks: a stable id, a title, a one-line fix and a docs section for each.

Ids follow the checklist in ``.github/pull_request_template.md``; the item without a check here
(MVP009) is verified in review until code can check it. A check is a function
``(Project) -> Finding`` listed in CHECKS; the template owns them (see MVP015).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import evidence
from ..errors import ProjectError
from . import acceptance, data, kit, model, prototypes, source, standards
from .findings import FAIL, Finding, failed
from .project import KIT, GateError, Project


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    fix: str
    anchor: str  # heading in docs/mvp-checklist.md
    run: Callable[[Project], Finding]


@dataclass(frozen=True)
class Result:
    check: Check
    finding: Finding
    blocks: bool


CHECKS = (
    Check(
        "MVP001",
        "src/ and tests/ never import scratch/",
        "move the code into src/ (with tests) and import it from there",
        "mvp001-code-lives-in-src",
        source.scratch_imports,
    ),
    Check(
        "MVP002",
        "notebooks live in scratch/, without outputs",
        "move notebooks into scratch/; strip outputs with `uv run nbstripout FILE`",
        "mvp002-notebooks-stay-in-scratch",
        prototypes.notebooks,
    ),
    Check(
        "MVP003",
        "each of your modules in src/ has a unit test module",
        "add tests/unit/test_<module>.py for each of your modules in src/",
        "mvp003-unit-tests",
        source.unit_test_modules,
    ),
    Check(
        "MVP004",
        "an integration test exists",
        "add a test in tests/integration/ that runs from raw data to a result",
        "mvp004-integration-test",
        source.integration_test,
    ),
    Check(
        "MVP005",
        "test coverage meets the threshold",
        "test the lines `uv run pytest` lists as missing",
        "mvp005-coverage",
        standards.coverage,
    ),
    Check(
        "MVP006",
        "the training data meets the data contract",
        "fix the rows `validate` lists or change contract.toml on purpose; train on real data",
        "mvp006-data-contract",
        data.contract_validates,
    ),
    Check(
        "MVP007",
        "the current model beats the baseline",
        "improve the model (features, tuning) until `train` reports it beats the baseline",
        "mvp007-model-beats-the-baseline",
        model.beats_baseline,
    ),
    Check(
        "MVP008",
        "the current model is registered and loads safely",
        "train and register a model with the train command, or restore the damaged one",
        "mvp008-registered-artifact",
        model.registered,
    ),
    Check(
        "MVP010",
        "the current model's parameters come from a tuning search",
        "run `tune`, then `train`, and commit params.json",
        "mvp010-tuning-by-code",
        model.tuned,
    ),
    Check(
        "MVP011",
        "ruff's protective rules are on",
        "restore the rules in [tool.ruff.lint] select and drop their ignores",
        "mvp011-no-blind-exception-handling",
        standards.ruff_rules,
    ),
    Check(
        "MVP012",
        "user acceptance is recorded",
        "record who accepted which model version, and when, in ACCEPTANCE.toml",
        "mvp012-user-acceptance",
        acceptance.acceptance_record,
    ),
    Check(
        "MVP013",
        "prototypes in scratch/ are within their timebox",
        "move each expired prototype into src/ with tests, or delete it",
        "mvp013-prototype-timebox",
        prototypes.timeboxes,
    ),
    Check(
        "MVP014",
        "MODEL_CARD.md describes the current model",
        "run the `model-card` command and commit MODEL_CARD.md with model_card/",
        "mvp014-model-card",
        model.model_card,
    ),
    Check(
        "MVP015",
        "template-owned files are unmodified",
        "move the change to your side (commands.py for commands, your own modules, tests/), then "
        f"restore {KIT}/ with `git checkout` or `copier recopy`",
        "mvp015-template-owned-files-unmodified",
        kit.unmodified,
    ),
    Check(
        "MVP016",
        "the whole test suite passes on the current tree",
        f"run `{evidence.WHOLE_RUN}` and make it pass; the gate trusts only that run",
        "mvp016-tests-pass",
        standards.tests_pass,
    ),
)


def run_checks(project: Project, only: Sequence[str] | None = None) -> list[Result]:
    """Run every check (or those in ``only``); in the mvp phase a failing check blocks."""
    known = {check.id for check in CHECKS}
    unknown = sorted(set(only or ()) - known)
    if unknown:
        raise GateError(f"no check {', '.join(unknown)}; the checks are {', '.join(sorted(known))}")
    mvp = project.phase == "mvp"
    return [_result(check, project, mvp) for check in CHECKS if not only or check.id in only]


def _result(check: Check, project: Project, mvp: bool) -> Result:
    try:
        finding = check.run(project)
    except (GateError, ProjectError) as exc:  # a file or setting the check needs is unusable
        finding = failed(*str(exc).splitlines())
    return Result(check, finding, blocks=mvp and finding.status == FAIL)
