"""Argument parsing shared by the subcommands: one-line errors, exit code 2."""

from __future__ import annotations

import argparse
import sys


class ArgumentParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose errors are one line naming the flag and the fix.

    Unknown flags are reported before anything else (even before a missing required flag), and
    flags are never abbreviated.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)

    def parse_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        known = set(self._option_string_actions)
        unknown = [a.split("=", 1)[0] for a in args if a.startswith("-") and len(a) > 1
                   and not _is_number(a) and a.split("=", 1)[0] not in known]
        if unknown:
            self.error(f"unknown flag {unknown[0]}")
        return super().parse_args(args, namespace)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False
