"""Errors a user can fix: the CLI prints them as one line and exits with code 2."""


class HerdInputError(Exception):
    """Bad input (a file, a flag, a dataset) with a message that names it and the fix.

    Args:
        message: one line, ``"<path or flag>: <what is wrong>; <how to fix it>"``.
    """

    exit_code = 2
