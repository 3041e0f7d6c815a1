from __future__ import annotations

import importlib
import pkgutil

from ..errors import ProjectError

KIT = __package__.rpartition(".")[0]


def test_every_input_error_is_a_project_error() -> None:
    """The command line turns ProjectError into a one-line message; no error may slip past."""
    kit = importlib.import_module(KIT)
    errors = []
    for module in pkgutil.iter_modules(kit.__path__):
        if module.ispkg:
            continue  # the gate and these tests: not the commands' input errors
        namespace = vars(importlib.import_module(f"{KIT}.{module.name}"))
        errors += [
            value
            for name, value in namespace.items()
            if isinstance(value, type)
            and name.endswith("Error")
            and value.__module__.startswith(f"{KIT}.")
        ]
    assert len(set(errors)) > 1, "no error classes found besides ProjectError"
    for error in errors:
        assert issubclass(error, ProjectError), f"{error.__qualname__} is not a ProjectError"
