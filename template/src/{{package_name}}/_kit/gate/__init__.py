"""The MVP gate: machine checks of the prototype-to-MVP criteria, owned by the template.

``python -m gate check`` reports each check; ``python -m gate pr-body`` checks a pull request's
checklist. ``config.toml`` holds the settings; ``docs/mvp-checklist.md`` explains every check.
``copier update`` refreshes this folder: keep your own code in ``src/``.
"""
