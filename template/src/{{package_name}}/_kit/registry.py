"""A local model registry: one folder per trained model, and a pointer to the current one.

    models/
      current            the version that predict and serve use (a one-line text file)
      v1/model.pkl       the fitted pipeline
      v1/model.pkl.hmac  its HMAC-SHA256 signature, when a signing key is set (below)
      v1/metadata.json   what it is, how it was made, how good it is, the pickle's SHA-256
      v1/profile.json    the training data's profile, what ``monitor`` compares requests with

What loading checks, before anything is unpickled:

- **Only the registry's own folder.** A version is named ``v`` and a number (``v3``)
  everywhere: ``--model``, ``models promote``, the ``current`` pointer and metadata's
  ``version`` (which must name its own folder). A version folder or file that leads outside
  the registry, through a link, is refused. So no name or pointer loads a pickle from elsewhere.
- **Accidents**: the pickle's SHA-256 (a truncated or edited file), the library versions (a
  pickle is only safe with the versions that wrote it), the data contract (a model trained on
  other columns). The checksum sits beside the pickle, so whoever can write one can rewrite the
  other: it catches accidents, not attackers.
- **Attackers, with a key**: set ``<PACKAGE>_MODEL_KEY`` (``KEY_VARIABLE``, 32 characters or
  more, kept out of the repository) and ``train`` signs each pickle with it; while it is set,
  only pickles whose signature matches load. Someone who can write to ``models/`` but does not
  have the key cannot get code of theirs unpickled. Without the key, anyone who can write to
  ``models/`` can run code in every process that loads a model: unpickling runs code.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle
import re
import shutil
import uuid
from collections.abc import Mapping
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ProjectError
from .records import Metadata, problem
from .settings import ENV_PREFIX

MODEL_FILE, METADATA_FILE, CURRENT_FILE = "model.pkl", "metadata.json", "current"
SIGNATURE_FILE = "model.pkl.hmac"
KEY_VARIABLE = f"{ENV_PREFIX}MODEL_KEY"
MIN_KEY_CHARS = 32
# Libraries whose versions must match for a pickle to load: major.minor for scikit-learn,
# major for the array libraries underneath it.
PINNED = {"scikit-learn": 2, "numpy": 1, "pandas": 1}
_VERSION = re.compile(r"v([0-9]{1,9})")  # matched whole (fullmatch): v1, v2 ... v999999999
VERSION_FORM = "v and a number, such as v3"
log = logging.getLogger(__name__)


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


def signing_key() -> bytes | None:
    """The key in ``KEY_VARIABLE``, or None when it is unset or empty."""
    key = os.environ.get(KEY_VARIABLE, "")
    if not key:
        return None
    if len(key) < MIN_KEY_CHARS:
        raise RegistryError(
            f"{KEY_VARIABLE} is shorter than {MIN_KEY_CHARS} characters: use a random key, "
            "such as the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return key.encode()


def signature(key: bytes, pickled: bytes) -> str:
    """The HMAC-SHA256 of a pickle's bytes, in hex."""
    return hmac.new(key, pickled, hashlib.sha256).hexdigest()


def check_version_name(version: str) -> str:
    """``version`` if it is a version name (``v3``); RegistryError naming the form if not."""
    if not _VERSION.fullmatch(version):
        raise RegistryError(f"{_shown(version)} is not a model version: use {VERSION_FORM}")
    return version


class Registry:
    """The registry folder (``Settings.models_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._reported: set[str] = set()  # broken versions already logged by versions()

    def versions(self) -> list[str]:
        """Registered versions whose metadata reads, oldest first.

        A broken version (a folder an interrupted train left empty, metadata edited by hand) is
        left out with a warning in the log; ``problems()`` says what is wrong with each.
        """
        broken = self.problems()
        for version, reason in broken.items():
            if version not in self._reported:
                self._reported.add(version)
                log.warning("left out of the registered models: %s", reason)
        return [version for version in self._numbered() if version not in broken]

    def problems(self) -> dict[str, str]:
        """Each version folder whose metadata cannot be read, with why (one line)."""
        found = {}
        for version in self._numbered():
            try:
                self.metadata(version)
            except RegistryError as exc:
                found[version] = str(exc)
        return found

    def current(self) -> str | None:
        """The version the ``current`` pointer names, None without one."""
        pointer = self._inside(self.root / CURRENT_FILE, "the current model")
        if not pointer.is_file():
            return None
        with pointer.open("rb") as stream:
            text = stream.read(64).decode("utf-8", errors="replace").strip()
        if not text:
            return None
        if not _VERSION.fullmatch(text):
            raise RegistryError(
                f"{pointer} names {_shown(text)}, not a model version ({VERSION_FORM}): "
                "run the models promote command to repair it"
            )
        return text

    def register(
        self, model: object, *, files: Mapping[str, str] | None = None, **fields: Any
    ) -> Metadata:
        """Save a fitted model as the next version, with its metadata and checksum.

        ``files`` are text files saved beside it (name -> content), such as its data profile.
        The version is written in a hidden folder, then renamed: an interrupted train leaves no
        half-written version. With a signing key set, the pickle is signed.
        """
        numbered = self._numbered()  # broken versions too: their numbers are taken
        version = f"v{int(numbered[-1][1:]) + 1 if numbered else 1}"
        key = signing_key()
        staging = self.root / f".{version}-{uuid.uuid4().hex[:12]}.incoming"
        staging.mkdir(parents=True)
        try:
            pickled = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
            (staging / MODEL_FILE).write_bytes(pickled)
            if key is not None:
                (staging / SIGNATURE_FILE).write_text(signature(key, pickled) + "\n", "ascii")
            for name, text in (files or {}).items():
                (staging / name).write_text(text, encoding="utf-8")
            metadata = Metadata(
                version=version, pickle_sha256=hashlib.sha256(pickled).hexdigest(), **fields
            )
            record = metadata.model_dump_json(indent=2) + "\n"
            (staging / METADATA_FILE).write_text(record, encoding="utf-8")
            staging.rename(self.root / version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already once renamed
        return metadata

    def promote(self, version: str) -> None:
        """Make ``version`` the current model (it must load: checksum and versions match)."""
        self.verify(check_version_name(version))
        write_atomically(self.root / CURRENT_FILE, version + "\n")

    def metadata(self, version: str | None = None) -> Metadata:
        version = self._resolve(version)
        path = self._file(version, METADATA_FILE)
        if not path.is_file():
            raise RegistryError(
                f"model {version}: {METADATA_FILE} is missing (a train that was interrupted?); "
                f"delete {path.parent} or restore the file"
            )
        try:
            metadata = Metadata.model_validate_json(path.read_bytes())
        except OSError as exc:
            reason = exc.strerror or exc
            raise RegistryError(f"model {version}: cannot read {path}: {reason}") from exc
        except ValidationError as exc:
            raise RegistryError(
                f"model {version}: {path}: {problem(exc)}; retrain the model or restore the file"
            ) from exc
        if metadata.version != version:
            raise RegistryError(
                f"model {version}: {path} says it is version {_shown(metadata.version)}; "
                "retrain the model or restore the file"
            )
        return metadata

    def verify(
        self, version: str | None = None, *, contract_fingerprint: str | None = None
    ) -> Metadata:
        """Everything that must hold before unpickling; RegistryError saying what does not."""
        return self._verified(version, contract_fingerprint)[0]

    def load(
        self, version: str | None = None, *, contract_fingerprint: str | None = None
    ) -> tuple[Any, Metadata]:
        """The verified model and its metadata; the current model when no version is given."""
        metadata, pickled = self._verified(version, contract_fingerprint)
        return pickle.loads(pickled), metadata  # the very bytes that were checked

    def path(self, version: str | None, name: str) -> Path:
        """Where a registered model's file ``name`` is (it may not exist); current by default."""
        return self._file(self._resolve(version), name)

    def _verified(
        self, version: str | None, contract_fingerprint: str | None
    ) -> tuple[Metadata, bytes]:
        metadata = self.metadata(version)
        where = f"model {metadata.version}"
        pickle_path = self._file(metadata.version, MODEL_FILE)
        if not pickle_path.is_file():
            raise RegistryError(f"{where}: {MODEL_FILE} is missing")
        pickled = pickle_path.read_bytes()
        if hashlib.sha256(pickled).hexdigest() != metadata.pickle_sha256:
            raise RegistryError(
                f"{where}: {MODEL_FILE} does not match its recorded SHA-256 (changed or "
                "truncated since it was registered); retrain or restore it"
            )
        self._check_signature(metadata.version, pickled)
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
        return metadata, pickled

    def _check_signature(self, version: str, pickled: bytes) -> None:
        """With a signing key set, the pickle must carry a signature made with it."""
        key = signing_key()
        if key is None:
            return
        path = self._file(version, SIGNATURE_FILE)
        if not path.is_file():
            raise RegistryError(
                f"model {version} is not signed, and {KEY_VARIABLE} is set: only signed "
                "models load; retrain it with the key set"
            )
        with path.open("rb") as stream:
            recorded = stream.read(256).strip()
        if not hmac.compare_digest(recorded, signature(key, pickled).encode()):
            raise RegistryError(
                f"model {version}: {MODEL_FILE} does not match its signature ({SIGNATURE_FILE}):"
                " changed since it was registered, or signed with another key; retrain it"
            )

    def _resolve(self, version: str | None) -> str:
        """A registered version's name: ``version``, or the current one."""
        if version is None:
            version = self.current()
            if version is None:
                raise RegistryError(
                    f"no current model in {self.root}/: run the train command first"
                )
        self._folder(check_version_name(version))
        return version

    def _folder(self, version: str) -> Path:
        """A version's folder, which must be a folder inside the registry."""
        folder = self._inside(self.root / version, f"model {version}")
        if not folder.is_dir():
            known = [name for name in self._numbered() if (self.root / name).is_dir()]
            raise RegistryError(
                f"no model {version!r} in {self.root}/ (registered: {', '.join(known) or 'none'})"
            )
        return folder

    def _file(self, version: str, name: str) -> Path:
        return self._inside(self._folder(version) / name, f"model {version}")

    def _inside(self, path: Path, what: str) -> Path:
        """``path`` unchanged, if it resolves (through any links) to a place inside the root."""
        try:
            inside = path.resolve().is_relative_to(self.root.resolve())
        except (OSError, RuntimeError) as exc:  # a loop of links (RuntimeError before 3.13)
            raise RegistryError(f"{what}: cannot resolve {path}: {exc}") from exc
        if not inside:
            raise RegistryError(
                f"{what}: {path} leads outside {self.root}/ (a link?): models load only from "
                "the registry's own folder"
            )
        return path

    def _numbered(self) -> list[str]:
        """The names in the root that are version names, oldest first, broken ones included."""
        if not self.root.is_dir():
            return []
        found = [path.name for path in self.root.iterdir() if _VERSION.fullmatch(path.name)]
        return sorted(found, key=lambda name: int(name[1:]))


def _shown(text: str) -> str:
    """``text`` quoted for a message, cut to 40 characters."""
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _prefix(version: str, parts: int) -> str:
    return ".".join(version.split(".")[:parts])


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write to a temporary file and rename it over the target: never a half-written file.
    Text is written as UTF-8."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    os.replace(temporary, path)
