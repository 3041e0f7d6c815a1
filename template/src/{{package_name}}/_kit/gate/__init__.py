"""The MVP gate: machine checks of the prototype-to-MVP criteria, owned by the template.

``uv run <project> gate check`` reports each check; ``uv run <project> gate pr-body`` checks a
pull request's checklist. The phase is the ``phase`` answer in ``.copier-answers.yml``;
``docs/mvp-checklist.md`` explains every check. ``copier update`` refreshes this folder with the
rest of the kit: keep your own code outside ``_kit/``.
"""
