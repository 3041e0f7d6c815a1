"""MkDocs hook: the parts of the docs that are made at build time, so they cannot drift.

Each build renders the default project once from the working tree (Copier's Python API, the
same helpers the template's tests use) and replaces marker lines in the pages:

    <!-- render: questions -->      table of the questions in copier.yml
    <!-- render: tree -->           file tree of the default project
    <!-- render: file PATH -->      a file of the default project, as a code block;
                                    add from="LINE" and to="LINE" for the lines from the first
                                    equal to `from` up to (not including) the next equal to `to`
    <!-- render: page PATH -->      a Markdown file of the default project, as page content

``<package>`` in a PATH stands for the package name. A marker that cannot be honoured (unknown
kind, missing file or line) stops the build with a message naming the page.
"""

from __future__ import annotations

import re
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from mkdocs.exceptions import PluginError

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests"))
from helpers import DEFAULTS, questions, render, snapshot_template, text_files  # noqa: E402

MARKER = re.compile(r"^<!-- render: (?P<args>.*?) -->$", flags=re.MULTILINE)
CODE_SPAN = re.compile(r"`[^`\n]*`")  # where pages may mention a marker without using it
PACKAGE = DEFAULTS["package_name"]
LANGUAGES = {".toml": "toml", ".py": "python", ".yml": "yaml", ".yaml": "yaml", ".md": "markdown"}

_project: dict[str, str] = {}


def on_config(config: Any) -> Any:
    """Render the default project once per build and keep its text files in memory."""
    _project.clear()
    with tempfile.TemporaryDirectory(prefix="docs-render-") as tmp:
        src = snapshot_template(Path(tmp) / "template")
        project = render(src, Path(tmp) / "project")
        for path in text_files(project):
            _project[path.relative_to(project).as_posix()] = path.read_text(encoding="utf-8")
    return config


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        try:
            return expand(shlex.split(match.group("args")))
        except ValueError as exc:
            raise PluginError(f"{page.file.src_uri}: {match.group(0)}: {exc}") from exc

    if "<!-- render:" in CODE_SPAN.sub("", MARKER.sub("", markdown)):
        raise PluginError(f"{page.file.src_uri}: a render marker must be alone on its line")
    return MARKER.sub(replace, markdown)


def expand(args: list[str]) -> str:
    """The Markdown for one marker's arguments."""
    kind, *rest = args
    if kind == "questions" and not rest:
        return questions_table(questions(), answers())
    if kind == "tree" and not rest:
        return tree(sorted(_project))
    if kind == "file" and rest:
        path, *options = rest
        return file_block(path, **dict(option.split("=", 1) for option in options))
    if kind == "page" and len(rest) == 1 and rest[0].endswith(".md"):
        return _file(rest[0])
    raise ValueError(f"unknown marker {args!r}")


def answers() -> dict[str, str]:
    """The default answers, read from the rendered answers file (what --defaults gives)."""
    return yaml.safe_load(_project[".copier-answers.yml"])


def questions_table(asked: dict[str, dict[str, Any]], defaults: dict[str, str]) -> str:
    rows = [
        "| Question | Type | Default | Allowed | What it is |",
        "| --- | --- | --- | --- | --- |",
    ]
    computed = []
    for name, question in asked.items():
        if question.get("when") is False:
            computed.append(f"`{name}`")
            continue
        if name not in defaults:  # a conditional question the defaults do not reach
            default = f"asked only when `{question.get('when')}`"
        else:
            default = f"`{defaults[name]}`"
        derived = re.findall(r"{{\s*(\w+)", str(question.get("default", "")))
        if derived:
            default += f" (from `{derived[0]}`)"
        allowed = ", ".join(f"`{choice}`" for choice in question.get("choices", []))
        if not allowed:
            allowed = "checked by a validator" if "validator" in question else "anything"
        cells = [f"`{name}`", question["type"], default, allowed, question["help"]]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    note = (
        f"\nComputed values, never asked and not stored in the answers file: "
        f"{', '.join(computed)}.\n"
        if computed
        else ""
    )
    return "\n".join(rows) + "\n" + note


def tree(paths: list[str]) -> str:
    """An indented tree of the project's files, folders first, with the package generic."""
    lines: list[str] = []
    shown: set[str] = set()
    for path in sorted(paths, key=_folders_first):
        parts = path.replace(PACKAGE, "<package>").split("/")
        for depth in range(len(parts)):
            key = "/".join(parts[: depth + 1])
            if key not in shown:
                shown.add(key)
                folder = depth < len(parts) - 1
                lines.append("    " * depth + parts[depth] + ("/" if folder else ""))
    return "```text\n" + "\n".join(lines) + "\n```\n"


def _folders_first(path: str) -> list[tuple[bool, str]]:
    parts = path.split("/")
    return [(depth == len(parts) - 1, part) for depth, part in enumerate(parts)]


def _file(path: str) -> str:
    text = _project.get(path.replace("<package>", PACKAGE))
    if text is None:
        raise ValueError(f"the default project has no file {path}")
    return text


def file_block(path: str, **span: str) -> str:
    unknown = set(span) - {"from", "to"}
    if unknown:
        raise ValueError(f"unknown options {sorted(unknown)}")
    lines = _file(path).splitlines()
    for option, line in span.items():
        if line not in lines:
            raise ValueError(f"{path} has no line {line!r} (option {option})")
    if "from" in span:
        lines = lines[lines.index(span["from"]) :]
    if "to" in span:
        lines = lines[: lines.index(span["to"])]
    while lines and not lines[-1].strip():
        lines.pop()
    language = LANGUAGES.get(Path(path).suffix, "text")
    return f'```{language} title="{path}"\n' + "\n".join(lines) + "\n```\n"
