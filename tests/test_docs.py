"""The documentation site builds strictly, and the pages that could drift are tied to the template.

- the site: `mkdocs build --strict` passes, and fails on a broken link or anchor;
- the questions reference, file excerpts and embedded pages: made by docs/hooks/generated.py;
- the ownership map (the project's docs/ownership.md, which the tour embeds): names every file
  and folder of the default project with its owner, and calls "you" exactly what copier.yml's
  _skip_if_exists protects from updates;
- the tour: its table of the kit names every kit module;
- the project's own docs: README links resolve, docs/settings.md lists every setting;
- the quickstart: every command on the page runs, in order, in a fresh folder (slow).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
import yaml
from helpers import (
    DEFAULTS,
    REPO_ROOT,
    TEMPLATE_DIR,
    free_port,
    make_template_repo,
    path_matcher,
    questions,
    render,
    run,
    skip_if_exists,
    text_files,
    user_owned_matcher,
)

DOCS = REPO_ROOT / "docs"
MKDOCS = Path(sys.executable).with_name("mkdocs")
# Material for MkDocs prints a banner about its end of life on every build unless told not to.
QUIET = {"NO_MKDOCS_2_WARNING": "1"}
PACKAGE = DEFAULTS["package_name"]
OWNERS = {"you", "template (kit)", "template (standards)", "copier"}
KIT = f"src/{PACKAGE}/_kit/"
CODE_SPAN = re.compile(r"`([^`]+)`")
MAP_MARKER = "<!-- render: page docs/ownership.md -->"


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hook", DOCS / "hooks" / "generated.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _build(config: Path, site: Path):
    return run(
        [str(MKDOCS), "build", "--strict", "-f", str(config), "-d", str(site)],
        REPO_ROOT,
        check=False,
        env=QUIET,
    )


class _MkdocsLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose ``!!python/name:`` tags name Python objects, as plain text."""


_MkdocsLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/name:", lambda loader, suffix, node: f"python/name:{suffix}"
)


def _mkdocs_config() -> dict:
    return yaml.load((REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8"), _MkdocsLoader)


def _nav_pages() -> list[str]:
    return [page for entry in _mkdocs_config()["nav"] for page in entry.values()]


# --- the site --------------------------------------------------------------------------------


def test_site_builds_strictly_with_generated_sections(tmp_path: Path) -> None:
    result = _build(REPO_ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    pages = {page: tmp_path / "site" / page.replace(".md", "/index.html") for page in _nav_pages()}
    pages["index.md"] = tmp_path / "site" / "index.html"
    for page, html in pages.items():
        assert html.is_file(), f"{page} was not built"
        assert "<!-- render:" not in html.read_text(encoding="utf-8"), f"{page}: marker left"
    reference = pages["questions.md"].read_text(encoding="utf-8")
    for name in questions():
        assert f"<code>{name}</code>" in reference, f"question {name} missing from the reference"
    tour = pages["tour.md"].read_text(encoding="utf-8")
    assert "max-complexity" in tour, "the ruff excerpt is missing from the tour"
    assert "[columns.region]" in tour, "the contract excerpt is missing from the tour"
    assert 'id="who-owns-what"' in tour, "the ownership map is missing from the tour"
    assert "template (kit)" in tour
    # The path from prototype to MVP and the project's layout, drawn by Mermaid in the browser.
    for page in ("index.md", "tour.md"):
        html = pages[page].read_text(encoding="utf-8")
        assert '<pre class="mermaid"><code>flowchart' in html, f"{page} has no diagram"


def test_strict_build_fails_on_broken_links_and_anchors(tmp_path: Path) -> None:
    docs = shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns("hooks"))
    with (docs / "why.md").open("a", encoding="utf-8") as why:
        why.write("\nSee [the gone page](gone.md) and [a lost section](tour.md#no-such-section).\n")
    # The site's own configuration, with the broken copy of the pages as its docs.
    config = {
        "INHERIT": str(REPO_ROOT / "mkdocs.yml"),
        "docs_dir": str(docs),
        "hooks": [str(DOCS / "hooks" / "generated.py")],
    }
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")

    result = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 1
    assert "gone.md" in result.stderr
    assert "no-such-section" in result.stderr


def test_readme_links_resolve() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(((?!https?://)[^)#]+)", readme)
    assert {"docs/quickstart.md", "docs/tour.md"} <= set(targets)
    for target in targets:
        assert (REPO_ROOT / target).exists(), f"README.md links to missing {target}"


# --- generated sections ----------------------------------------------------------------------


def test_questions_table_lists_asked_questions_and_marks_computed_ones() -> None:
    hook = _hook()
    asked = questions()
    table = hook.questions_table(
        asked, {**DEFAULTS, "description": "d", "author_name": "a", "author_email": "e@x.org"}
    )
    rows = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    hidden = [name for name, question in asked.items() if question.get("when") is False]
    assert hidden, "copier.yml has computed values; the table must leave them out"
    assert rows == [name for name in asked if name not in hidden]
    note = table.rsplit("\n\n", 1)[-1]
    assert all(f"`{name}`" in note for name in hidden)
    assert "`my-ml-project` (from `project_name`)" in table
    assert "`classification`, `regression`" in table

    conditional = {"type": "str", "help": "h", "default": "x", "when": "{{ license == 'x' }}"}
    table = hook.questions_table({"later": conditional}, {})
    assert "| `later` | str | asked only when `{{ license == 'x' }}` | anything | h |" in table


@pytest.fixture(scope="module")
def hook_with_render() -> ModuleType:
    hook = _hook()
    hook.on_config(config=None)
    return hook


def test_file_excerpts_come_from_the_rendered_project(hook_with_render: ModuleType) -> None:
    path = "src/<package>/_kit/ruff.toml"
    block = hook_with_render.expand(
        ["file", path, "from=[lint.mccabe]", "to=[lint.flake8-tidy-imports.banned-api]"]
    )
    assert block == f'```toml title="{path}"\n[lint.mccabe]\nmax-complexity = 10\n```\n'
    tree = hook_with_render.expand(["tree"])
    assert "    <package>/\n        _kit/\n" in tree
    page = hook_with_render.expand(["page", "docs/ownership.md"])
    assert page.startswith("# Who owns what\n")


@pytest.mark.parametrize(
    ("marker", "reason"),
    [
        ("<!-- render: nonsense -->", "unknown marker"),
        ("<!-- render: file src/<package>/gone.py -->", "gone.py"),
        ('<!-- render: file pyproject.toml from="[tool.nothing]" -->', "[tool.nothing]"),
        ("Text <!-- render: tree -->", "alone on its line"),
    ],
)
def test_markers_that_cannot_be_honoured_stop_the_build(
    hook_with_render: ModuleType, marker: str, reason: str
) -> None:
    page = SimpleNamespace(file=SimpleNamespace(src_uri="page.md"))
    with pytest.raises(hook_with_render.PluginError, match=re.escape(reason)) as error:
        hook_with_render.on_page_markdown(f"# Page\n\n{marker}\n", page=page)
    assert "page.md" in str(error.value)


# --- the ownership map --------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_project(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(template_src, tmp_path_factory.mktemp("docs") / "project")


def _tables(markdown: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every Markdown table as (header cells, rows of cells)."""
    tables, lines = [], markdown.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.startswith("|") and re.fullmatch(r"\|( *:?-+:? *\|)+", lines[i + 1]):
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append(_cells(row))
            tables.append((_cells(line), rows))
    return tables


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def map_entries(markdown: str) -> dict[str, str]:
    """Paths the map names (code spans in a Path column), with their owner."""
    entries = {}
    for header, rows in _tables(markdown):
        if "Path" not in header:
            continue
        assert "Owner" in header, f"map table {header} has no Owner column"
        for cells in rows:
            owner = cells[header.index("Owner")]
            assert owner in OWNERS, f"{cells[0]}: owner {owner!r} is not one of {OWNERS}"
            for path in CODE_SPAN.findall(cells[header.index("Path")]):
                entries[path] = owner
    return entries


def owner_of(path: str, entries: dict[str, str]) -> str | None:
    """The owner of the path itself or, failing that, of its nearest named folder."""
    candidates = [path] + [path[: i + 1] for i in range(len(path) - 1, -1, -1) if path[i] == "/"]
    return next((entries[c] for c in candidates if c in entries), None)


def _project_paths(project: Path) -> tuple[set[str], set[str]]:
    files = {path.relative_to(project).as_posix() for path in text_files(project)}
    folders = {f"{parent}/" for path in files for parent in map(str, Path(path).parents)}
    return files, folders - {"./"}


def test_the_tour_embeds_the_map() -> None:
    tour = (DOCS / "tour.md").read_text(encoding="utf-8")
    assert MAP_MARKER in tour.splitlines()
    assert "| Owner |" not in tour, "the map is written once, in template/docs/ownership.md"


def test_the_tour_says_what_each_kit_module_is_for(default_project: Path) -> None:
    kit = default_project / KIT
    parts = {f"{p.name}/" if p.is_dir() else p.name for p in kit.iterdir()} - {"__init__.py"}
    tour = (DOCS / "tour.md").read_text(encoding="utf-8")
    table = next(rows for header, rows in _tables(tour) if header[0] == "Job")
    named = {span for row in table for span in CODE_SPAN.findall(row[1])}
    assert sorted(parts - named) == [], "add these to the tour's table of the kit"
    assert sorted(n for n in named - parts if n.endswith(".py")) == [], "gone from the kit"


def test_the_map_names_every_file_and_folder_and_nothing_else(default_project: Path) -> None:
    files, folders = _project_paths(default_project)
    named = map_entries((default_project / "docs/ownership.md").read_text(encoding="utf-8"))

    # Kit files are covered by their folder; everything else is named one by one.
    unnamed = sorted(p for p in files | folders if p not in named and not p.startswith(KIT))
    assert not unnamed, f"add rows to template/docs/ownership.md.jinja for {unnamed}"
    assert not [path for path in files if owner_of(path, named) is None]
    # A path the template does not render is one the user or a command creates at the root.
    extra = sorted(p for p in set(named) - files - folders if "/" in p.rstrip("/"))
    assert not extra, f"the map names paths the default project does not have: {extra}"
    assert all(named[p] == "you" for p in set(named) - files - folders)


def test_the_map_calls_yours_exactly_what_updates_never_touch(default_project: Path) -> None:
    files, _ = _project_paths(default_project)
    named = map_entries((default_project / "docs/ownership.md").read_text(encoding="utf-8"))
    protected = user_owned_matcher()

    for pattern in skip_if_exists():
        matched = sorted(filter(path_matcher([pattern]), files))
        assert matched, f"_skip_if_exists has {pattern}, which the default project lacks"
        for path in matched:
            assert named.get(path) == "you", f"{path} is in _skip_if_exists: the map must say you"
    for path in sorted(files):
        yours = owner_of(path, named) == "you"
        assert yours == protected(path), (
            f"{path}: the map says {owner_of(path, named)!r}, but copier update "
            + ("replaces it" if yours else "never touches it (_skip_if_exists)")
        )


def test_the_map_explains_every_owner_it_uses(default_project: Path) -> None:
    markdown = (default_project / "docs/ownership.md").read_text(encoding="utf-8")
    legend = next(rows for header, rows in _tables(markdown) if header[0] == "Owner")
    assert {row[0] for row in legend} == OWNERS
    assert set(map_entries(markdown).values()) == OWNERS


# --- the project's own docs ------------------------------------------------------------------


def test_the_project_readme_and_docs_link_to_files_that_exist(default_project: Path) -> None:
    pages = [default_project / "README.md", *sorted((default_project / "docs").glob("*.md"))]
    readme = pages[0].read_text(encoding="utf-8")
    for page in ("ownership", "settings", "extending", "updating", "mvp-checklist"):
        assert f"(docs/{page}.md)" in readme, f"the README does not link docs/{page}.md"
    for page in pages:
        for target in re.findall(r"\]\(((?!https?://|#)[^)#]+)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def _settings_fields() -> dict[str, str]:
    """Each field of the kit's Settings with its default, as written in settings.py."""
    source = (TEMPLATE_DIR / "src/{{package_name}}/_kit/settings.py").read_text(encoding="utf-8")
    settings = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and node.name == "Settings"
    )
    fields = {}
    for statement in settings.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if statement.target.id == "model_config":
                continue
            value = statement.value
            while isinstance(value, ast.Call):  # Field(default, ...) and Path("...")
                value = value.args[0]
            fields[statement.target.id] = str(ast.literal_eval(value))
    return fields


def test_the_settings_page_lists_every_setting_with_its_default(default_project: Path) -> None:
    markdown = (default_project / "docs/settings.md").read_text(encoding="utf-8")
    header, rows = next(t for t in _tables(markdown) if "Environment variable" in t[0])
    listed = {}
    for cells in rows:
        names = CODE_SPAN.findall(cells[0])
        assert set(names) & set(_settings_fields()), f"{names}: no such setting in settings.py"
        env = f"`{PACKAGE.upper()}_{names[0].upper()}`"
        assert cells[header.index("Environment variable")] == env, cells
        for name in names:
            listed[name] = CODE_SPAN.findall(cells[header.index("Default")])[0]
    fields = _settings_fields()
    assert fields, "no fields found in settings.py"
    assert {name: listed.get(name) for name in fields} == fields


# --- the quickstart --------------------------------------------------------------------------

QUICKSTART = DOCS / "quickstart.md"
TEMPLATE_PLACEHOLDER = "/path/to/proto-to-mvp"
FENCE = re.compile(r"^```(?P<lang>[\w-]+)(?P<attrs>[^\n]*)\n(?P<body>.*?)^```$", re.M | re.S)


def quickstart_script(markdown: str, template: Path) -> str:
    """The page as one bash script: ```bash blocks run as written, in order, and each block
    with a title="PATH" is written to PATH at that point. Any other fenced block is an error,
    so the page cannot show a command that the test does not run."""
    parts = []
    for block in FENCE.finditer(markdown):
        title = re.search(r'title="([^"]+)"', block["attrs"])
        if block["lang"] == "bash":
            parts.append(block["body"])
        elif title:
            path = title.group(1)
            parts.append(
                f"mkdir -p \"$(dirname '{path}')\"\n"
                f"cat > '{path}' <<'QUICKSTART_EOF'\n{block['body']}QUICKSTART_EOF\n"
            )
        else:
            raise AssertionError(f"```{block['lang']} block is neither run nor written a file")
    script = "\n".join(parts)
    assert script.count(TEMPLATE_PLACEHOLDER) == 1, "say once where the template lives"
    return script.replace(TEMPLATE_PLACEHOLDER, str(template))


def test_quickstart_is_a_script_from_copy_to_commit(template_src: Path) -> None:
    script = quickstart_script(QUICKSTART.read_text(encoding="utf-8"), template_src)
    assert script.startswith("uvx copier@")
    commands = [line.split()[:3] for line in script.splitlines() if line.startswith("uv")]
    assert ["uv", "sync"] in commands
    assert ["uv", "run", "pytest"] in commands
    assert ["uv", "run", DEFAULTS["project_slug"]] in commands


@pytest.mark.slow
def test_quickstart_commands_work_as_written(template_src: Path, tmp_path: Path) -> None:
    # A tagged git repository, as users clone it: `copier update` needs versions.
    template = make_template_repo(template_src, tmp_path / "proto-to-mvp", tag="v0.1.0")
    script = tmp_path / "quickstart.sh"
    text = quickstart_script(QUICKSTART.read_text(encoding="utf-8"), template)
    # The page's port, 8000, may be taken on a shared machine (another quickstart): then
    # `serve &` fails in the background and the page's requests reach someone else's server.
    # The same commands on a free port, with the `--port` the page mentions. The server's log
    # goes to a file: in one pipe its buffered lines can split the page's printed answers.
    port = free_port()
    assert text.count("serve &") == 1
    assert "127.0.0.1:8000" in text
    served = tmp_path / "serve.log"
    text = text.replace("serve &", f"serve --port {port} > {served} 2>&1 &")
    script.write_text(text.replace("127.0.0.1:8000", f"127.0.0.1:{port}"), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    result = run(["bash", "-euxo", "pipefail", str(script)], work)

    project = work / DEFAULTS["project_slug"]
    assert "baseline (most frequent label per region) on 200 holdout rows" in result.stdout
    assert "the model beats the baseline on balanced_accuracy; v1 is now current" in result.stdout
    assert '{"status":"ready","model_version":"v1"}' in result.stdout
    answer = r'\{"prediction":"\w+","probabilities":\{[^}]*\},"model_version":"v1"\}'
    assert len(re.findall(answer, result.stdout)) == 1, "predict answered"
    said = [line for line in result.stdout.splitlines() if "predictions" in line]
    assert "500 predictions from model v1" in result.stdout, (said[-20:], result.stderr[-3000:])
    assert "model v1: 501 predictions from " in result.stdout, "monitor read the prediction log"
    assert "ok: every rule holds and no feature drifted" in result.stdout
    assert "wrote MODEL_CARD.md for model v1" in result.stdout
    assert "MVP readiness, prototype phase" in result.stdout
    predictions = (project / "data/predictions.csv").read_text(encoding="utf-8").splitlines()
    assert predictions[0] == "order_id,prediction,probability_late,probability_on_time"
    log = run(["git", "log", "--format=%s"], project).stdout.splitlines()
    assert log[0] == "Move to the MVP phase"
    assert len(log) == 5, log
    assert "MVP readiness, mvp phase" in result.stdout
    assert "Nothing blocks." in result.stdout.rsplit("MVP readiness", 1)[1]
    requests = [json.loads(line) for line in served.read_text().splitlines() if line[:1] == "{"]
    answered = [(r["path"], r["status"]) for r in requests if r["path"].startswith("/predict")]
    assert len(answered) > 1, answered  # one row with curl, then batches from HttpPredictor
    assert answered == [("/predict", 200)] + [("/predict/batch", 200)] * (len(answered) - 1)
    assert run(["git", "status", "--porcelain"], project).stdout == ""
    assert (project / "tests/unit/test_rush.py").is_file()
    assert not (project / "scratch/rush_hours.py").exists()
