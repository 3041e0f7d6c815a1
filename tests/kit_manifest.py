"""Rewrite the kit's manifest: ``uv run python tests/kit_manifest.py``.

``template/src/{{package_name}}/_kit/manifest.txt`` lists the SHA-256 of every file of the kit
(``sha256sum`` format, paths relative to ``_kit/``, sorted), except itself and what Copier never
copies (caches, bytecode). Generated projects get the kit byte for byte, so the gate's MVP015
compares their kit with it. Run this after changing any kit file; tests/test_kit.py checks it.
"""

from __future__ import annotations

import hashlib
import sys
from fnmatch import fnmatch
from pathlib import Path

from helpers import JUNK, TEMPLATE_DIR

KIT = TEMPLATE_DIR / "src" / "{{package_name}}" / "_kit"
MANIFEST = KIT / "manifest.txt"
COMMAND = "uv run python tests/kit_manifest.py"


def kit_files(kit: Path = KIT) -> list[str]:
    """The kit's files as Copier copies them (POSIX paths relative to ``kit``), sorted."""
    return sorted(
        path.relative_to(kit).as_posix()
        for path in kit.rglob("*")
        if path.is_file()
        and path != kit / MANIFEST.name
        and not any(fnmatch(part, junk) for part in path.relative_to(kit).parts for junk in JUNK)
    )


def manifest_text(kit: Path = KIT) -> str:
    """One ``<sha256>  <path>`` line per kit file."""
    return "".join(
        f"{hashlib.sha256((kit / name).read_bytes()).hexdigest()}  {name}\n"
        for name in kit_files(kit)
    )


def main() -> int:
    text = manifest_text()
    if MANIFEST.is_file() and MANIFEST.read_text(encoding="utf-8") == text:
        sys.stdout.write(f"{MANIFEST.relative_to(TEMPLATE_DIR.parent)} is up to date\n")
        return 0
    MANIFEST.write_text(text, encoding="utf-8", newline="\n")
    count = len(text.splitlines())
    sys.stdout.write(f"wrote {MANIFEST.relative_to(TEMPLATE_DIR.parent)} ({count} files)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
