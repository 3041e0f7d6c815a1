"""Update benchmark: wall time of `copier update` across one release, for a worked-on project.

Run on demand:  uv run python bench/update.py [--repeat 3]

Builds a template repository holding the previous release (from CHANGELOG.md's history) and
this working tree, generates a project from the previous release, commits a few user changes,
then times `copier update` to the working tree (dependency installs excluded: they are uv's,
not Copier's). Baseline, measured in the same run: `copier copy` of the new version.
Target: at most 10 s per update.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import (
    clean_env,
    git_commit_all,
    releases,
    snapshot_template,
    template_at,
    versioned_template,
)
from test_update import USER_EDITS, USER_FILES, _next

COPIER = Path(sys.executable).with_name("copier")


def copier(*args: str, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(COPIER), *args], cwd=cwd, env=clean_env(), check=True, capture_output=True)
    return time.perf_counter() - start


def worked_on_project(repo: Path, tag: str, dst: Path) -> Path:
    copier("copy", "--defaults", "--quiet", "--vcs-ref", tag, str(repo), str(dst), cwd=repo)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dst, check=True)
    git_commit_all(dst, "Start")
    for relative, text in USER_FILES.items():
        (dst / relative).write_text(text, encoding="utf-8")
    for relative, old, new in USER_EDITS:
        path = dst / relative
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    git_commit_all(dst, "Our work")
    return dst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-update-"))
    old_tag, old_commit = releases()[-1]
    new_tag = _next(old_tag)
    repo = versioned_template(
        work / "repo",
        [
            (old_tag, template_at(old_commit, work / "old")),
            (new_tag, snapshot_template(work / "new")),
        ],
    )
    updates, copies = [], []
    for run in range(args.repeat):
        project = worked_on_project(repo, old_tag, work / f"project-{run}")
        updates.append(copier("update", "--defaults", "--quiet", cwd=project))
        copies.append(
            copier("copy", "--defaults", "--quiet", str(repo), str(work / f"c{run}"), cwd=work)
        )
    update, copy = statistics.median(updates), statistics.median(copies)
    print(
        f"copier update {old_tag} -> {new_tag}: {update:.2f} s (median of {args.repeat}; "
        f"target <= 10 s)"
    )
    print(f"copier copy {new_tag} (baseline): {copy:.2f} s; update / copy = {update / copy:.1f}")
    results = Path(__file__).with_name("results")
    results.mkdir(exist_ok=True)
    (results / "update.json").write_text(
        json.dumps(
            {"from": old_tag, "to": new_tag, "update_s": updates, "copy_s": copies}, indent=2
        )
    )


if __name__ == "__main__":
    main()
