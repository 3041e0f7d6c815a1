from __future__ import annotations

import importlib
import pkgutil

import {{ package_name }}
from ..errors import ProjectError


def test_every_input_error_is_a_project_error() -> None:
    """The command line turns ProjectError into a one-line message; no error may slip past."""
    errors = []
    for module in pkgutil.iter_modules({{ package_name }}.__path__):
        if module.name == "__main__":
            continue
        namespace = vars(importlib.import_module(f"{{ package_name }}.{module.name}"))
        errors += [
            value
            for name, value in namespace.items()
            if isinstance(value, type)
            and name.endswith("Error")
            and value.__module__.startswith("{{ package_name }}.")
        ]
    assert errors, "the package defines no error classes"
    for error in errors:
        assert issubclass(error, ProjectError), f"{error.__qualname__} is not a ProjectError"
