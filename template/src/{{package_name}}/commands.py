"""Your own command-line commands, next to the kit's (``validate``, ``train``, ``serve`` ...).

Add one with ``commands.add_parser`` and ``set_defaults(handler=...)``; a handler gets the
parsed arguments and the settings and returns the exit code. Example::

    def register(commands):
        hello = commands.add_parser("hello", help="Say hello.")
        hello.set_defaults(handler=lambda args, settings: print("hello") or 0)
"""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add your subcommands here; the kit calls this once when the command line starts."""
