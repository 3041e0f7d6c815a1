"""proto-to-mvp's machinery for this project. The template owns this folder: do not edit it.

``copier update`` replaces it with each release. Your code lives beside it (``contract.toml``,
``features.py``, ``model.py``, ``baseline.py``, ``commands.py`` and your own modules) and
meets it through ``user.py``, the one interface; what your code may import from the kit is
re-exported here. To change what the kit does, extend it from your side; see
``docs/extending.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Imported on first use, so the command line starts without loading scikit-learn.
_PUBLIC = {
    "Contract": ".contract",
    "Column": ".contract",
    "load_contract": ".contract",
    "load_valid": ".validation",
    "load_table": ".data",
    "GroupBaseline": ".baselines",
    "Settings": ".settings",
    "ProjectError": ".errors",
    "LocalPredictor": ".predictor",
    "HttpPredictor": ".predictor",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_PUBLIC[name], __name__), name)
