"""A local model registry: one folder per trained model, and a pointer to the current one.

    models/
      current            the version that predict and serve use (a one-line text file)
      v1/model.pkl       the fitted pipeline
      v1/metadata.json   what it is, how it was made, how good it is, the pickle's SHA-256
      v1/profile.json    the training data's profile, what ``monitor`` compares requests with

Loading checks before unpickling: the pickle's checksum (a truncated or edited file), the
library versions (a pickle is only safe with the versions that wrote it) and the data
contract (a model trained on other columns). A checksum catches accidents, not attackers:
load only models you trained or trust.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Mapping
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ProjectError
from .records import Metadata, problem

MODEL_FILE, METADATA_FILE, CURRENT_FILE = "model.pkl", "metadata.json", "current"
# Libraries whose versions must match for a pickle to load: major.minor for scikit-learn,
# major for the array libraries underneath it.
PINNED = {"scikit-learn": 2, "numpy": 1, "pandas": 1}
_VERSION = re.compile(r"^v(\d+)$")


class RegistryError(ProjectError):
    """No such model, or a model that must not be loaded; the message says which and why."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    return {name: installed_version(name) for name in PINNED}


class Registry:
    """The registry folder (``Settings.models_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def versions(self) -> list[str]:
        """Registered versions, oldest first."""
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if _VERSION.match(p.name) and p.is_dir()]
        return sorted(found, key=lambda name: int(name[1:]))

    def current(self) -> str | None:
        pointer = self.root / CURRENT_FILE
        if not pointer.is_file():
            return None
        return pointer.read_text(encoding="utf-8").strip() or None

    def register(
        self, model: object, *, files: Mapping[str, str] | None = None, **fields: Any
    ) -> Metadata:
        """Save a fitted model as the next version, with its metadata and checksum.

        ``files`` are text files saved beside it (name -> content), such as its data profile.
        """
        existing = self.versions()
        version = f"v{int(existing[-1][1:]) + 1 if existing else 1}"
        folder = self.root / version
        folder.mkdir(parents=True)
        with (folder / MODEL_FILE).open("wb") as stream:
            pickle.dump(model, stream, protocol=pickle.HIGHEST_PROTOCOL)
        for name, text in (files or {}).items():
            write_atomically(folder / name, text)
        metadata = Metadata(version=version, pickle_sha256=sha256_of(folder / MODEL_FILE), **fields)
        write_atomically(folder / METADATA_FILE, metadata.model_dump_json(indent=2) + "\n")
        return metadata

    def promote(self, version: str) -> None:
        """Make ``version`` the current model (it must load: checksum and versions match)."""
        self.verify(version)
        write_atomically(self.root / CURRENT_FILE, version + "\n")

    def metadata(self, version: str | None = None) -> Metadata:
        version = self._resolve(version)
        path = self.root / version / METADATA_FILE
        try:
            return Metadata.model_validate_json(path.read_bytes())
        except FileNotFoundError as exc:
            raise RegistryError(f"model {version}: {METADATA_FILE} is missing") from exc
        except ValidationError as exc:
            raise RegistryError(
                f"model {version}: {path}: {problem(exc)}; retrain the model or restore the file"
            ) from exc

    def verify(
        self, version: str | None = None, *, contract_fingerprint: str | None = None
    ) -> Metadata:
        """Everything that must hold before unpickling; RegistryError saying what does not."""
        metadata = self.metadata(version)
        where = f"model {metadata.version}"
        pickle_path = self.root / metadata.version / MODEL_FILE
        if not pickle_path.is_file():
            raise RegistryError(f"{where}: {MODEL_FILE} is missing")
        if sha256_of(pickle_path) != metadata.pickle_sha256:
            raise RegistryError(
                f"{where}: {MODEL_FILE} does not match its recorded SHA-256 (changed or "
                "truncated since it was registered); retrain or restore it"
            )
        for name, found in library_versions().items():
            recorded = metadata.libraries.get(name, "?")
            if _prefix(recorded, PINNED[name]) != _prefix(found, PINNED[name]):
                raise RegistryError(
                    f"{where} was saved with {name} {recorded}, this environment has {found}; "
                    "retrain it, or install the versions in uv.lock (uv sync --locked)"
                )
        if contract_fingerprint and metadata.contract_fingerprint != contract_fingerprint:
            raise RegistryError(
                f"{where} was trained for a different data contract; retrain it with the "
                "current contract.toml"
            )
        return metadata

    def load(
        self, version: str | None = None, *, contract_fingerprint: str | None = None
    ) -> tuple[Any, Metadata]:
        """The verified model and its metadata; the current model when no version is given."""
        metadata = self.verify(version, contract_fingerprint=contract_fingerprint)
        with (self.root / metadata.version / MODEL_FILE).open("rb") as stream:
            return pickle.load(stream), metadata

    def path(self, version: str | None, name: str) -> Path:
        """Where a registered model's file ``name`` is (it may not exist); current by default."""
        return self.root / self._resolve(version) / name

    def _resolve(self, version: str | None) -> str:
        if version is None:
            version = self.current()
            if version is None:
                raise RegistryError(
                    f"no current model in {self.root}/: run the train command first"
                )
        if not (self.root / version).is_dir():
            known = ", ".join(self.versions()) or "none"
            raise RegistryError(f"no model {version!r} in {self.root}/ (registered: {known})")
        return version


def _prefix(version: str, parts: int) -> str:
    return ".".join(version.split(".")[:parts])


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file and rename it over the target: never a half-written file."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
