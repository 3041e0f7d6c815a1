"""The base class of errors that mean "fix your input" (a file, a setting, the data).

The command line reports these without a traceback and exits with their ``exit_code``:
2 for unusable input, 1 for data that breaks the contract. Anything else is a bug and keeps
its traceback.
"""


class ProjectError(Exception):
    """An input problem the user can fix; the message says what and where."""

    exit_code = 2
