"""Command line of the gate, a subcommand of the project's, run from the project root.

    uv run <project> gate check [--format json]    # what is MVP-ready, what is not
    uv run <project> gate check --only MVP006       # just these checks
    uv run <project> gate pr-body --event FILE      # a pull request's checklist (CI)

Exit codes: 0 nothing blocks, 1 something blocks in the mvp phase, 2 the gate cannot run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..identity import distribution
from .checks import run_checks
from .pr_body import read_body, unticked
from .project import CHECKLIST, DOCS, GateError, Project
from .report import as_json, as_table

EXIT_OK, EXIT_BLOCKED, EXIT_ERROR = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args, Project())
    except GateError as exc:
        print(f"gate: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{distribution()} gate", description="The MVP gate: what is ready, what blocks."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("check", help="run the readiness checks")
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.add_argument("--only", nargs="+", metavar="ID", help="run only these checks (MVP006 ...)")
    check.set_defaults(handler=_check)
    pr_body = commands.add_parser("pr-body", help="check a pull request's MVP checklist")
    pr_body.add_argument("--event", type=Path, required=True, help="GitHub event payload (JSON)")
    pr_body.set_defaults(handler=_pr_body)
    return parser


def _check(args: argparse.Namespace, project: Project) -> int:
    results = run_checks(project, only=args.only)
    render = as_json if args.format == "json" else as_table
    print(render(results, project.phase, DOCS))
    return EXIT_BLOCKED if any(result.blocks for result in results) else EXIT_OK


def _pr_body(args: argparse.Namespace, project: Project) -> int:
    template_name, phase = CHECKLIST, project.phase
    body = read_body(args.event)
    if body.strip():
        problems = unticked(project.read(template_name), body)
    else:
        problems = [f"the pull request has no description: start from {template_name}"]
    if not problems:
        print("PR checklist: every item is ticked.")
        return EXIT_OK
    blocks = phase == "mvp"
    verdict = "these block the merge" if blocks else "the prototype phase only advises"
    print(f"PR checklist ({phase} phase, {verdict}):")
    print("\n".join(f"  {problem}" for problem in problems))
    return EXIT_BLOCKED if blocks else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
