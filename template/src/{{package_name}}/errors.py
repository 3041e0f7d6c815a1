"""The base class of errors that mean "fix your input" (a file, a setting, the contract).

The command line reports these in one line with exit code 2, never as a traceback. Anything
else is a bug and keeps its traceback.
"""


class ProjectError(Exception):
    """An input problem the user can fix; the message says what and where."""
