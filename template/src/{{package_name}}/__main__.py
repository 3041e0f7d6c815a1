"""Allow ``python -m <package>`` as well as the console script."""

from .cli import main

raise SystemExit(main())
