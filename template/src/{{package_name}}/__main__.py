"""Allow ``python -m <package>`` as well as the console script."""

from ._kit.cli import main

raise SystemExit(main())
