"""MVP015: the template's files in ``_kit/`` are as the template shipped them.

``_kit/manifest.txt`` lists the SHA-256 of every file in the kit (``sha256sum`` format, paths
relative to ``_kit/``). ``copier update`` replaces the kit and its manifest together, so a kit
file that differs from its line was changed by hand, and the next update would fight it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

from .findings import Finding, failed, passed
from .project import KIT, GateError, Project

MANIFEST = "manifest.txt"
LINE = re.compile(r"^(?P<sha256>[0-9a-f]{64})  (?P<path>\S.*)$")


def unmodified(project: Project) -> Finding:
    """Each kit file matches its manifest line; none is missing, none was added."""
    shipped = _manifest(project)
    present = {
        str(PurePosixPath(name).relative_to(KIT))
        for name in project.files_under(KIT, "")
        if not is_junk(PurePosixPath(name).relative_to(KIT))
    }
    problems = []
    for path in sorted(shipped.keys() | present):
        where = f"{KIT}/{path}"
        if path not in shipped:
            problems.append(f"{where} was added")
        elif not (project.root / where).is_file():
            problems.append(f"{where} is missing")
        elif sha256((project.root / where).read_bytes()) != shipped[path]:
            problems.append(f"{where} was modified")
    if problems:
        return failed(*problems)
    return passed(f"{len(shipped)} files match {KIT}/{MANIFEST}")


def is_junk(path: PurePosixPath) -> bool:
    """The manifest itself and Python's bytecode caches, which no manifest lists."""
    return path == PurePosixPath(MANIFEST) or "__pycache__" in path.parts or path.suffix == ".pyc"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(project: Project) -> dict[str, str]:
    """path -> SHA-256 from the manifest; GateError when it is missing or malformed."""
    name = f"{KIT}/{MANIFEST}"
    if not (project.root / name).is_file():
        raise GateError(f"{name} is missing: restore it with `git checkout` or `copier recopy`")
    entries = {}
    for number, line in enumerate(project.read(name).splitlines(), 1):
        found = LINE.match(line)
        if found is None:
            raise GateError(f"{name}:{number}: expected '<sha256>  <path>', not {line!r}")
        entries[found["path"]] = found["sha256"]
    return entries
