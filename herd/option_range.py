"""Allowed ranges of numeric options, checked where the options are parsed (flag dataclasses
declare theirs in a ``RANGES`` class variable, read by :func:`herd.run.flags.parse_flags`).
A value outside is one line naming the flag and the range, exit code 2."""

from __future__ import annotations

import dataclasses
import math

from herd.errors import HerdInputError


@dataclasses.dataclass(frozen=True)
class Range:
    """``lo <= value <= hi`` (``lo < value`` when ``above``), finite; ``or_zero`` also admits 0
    (an option whose 0 means "choose for me"). ``None`` leaves a side open."""

    lo: float | None = None
    hi: float | None = None
    above: bool = False
    or_zero: bool = False

    def __contains__(self, v: float) -> bool:
        if not math.isfinite(v):
            return False
        if self.or_zero and v == 0:
            return True
        low_ok = self.lo is None or (v > self.lo if self.above else v >= self.lo)
        return low_ok and (self.hi is None or v <= self.hi)

    def __str__(self) -> str:
        if self.lo is not None and self.hi is not None:
            text = f"{self.lo} to {self.hi}"
        elif self.lo is not None:
            text = f"{'above' if self.above else 'at least'} {self.lo}"
        else:
            text = f"at most {self.hi}"
        return f"0 or {text}" if self.or_zero else text


def check_range(flag: str, value: float, allowed: Range) -> None:
    if value not in allowed:
        raise HerdInputError(f"{flag}={value}: out of range; allowed: {allowed}")


def check_ranges(options) -> None:
    """Every field of a flag dataclass named in its ``RANGES``."""
    for name, allowed in getattr(options, "RANGES", {}).items():
        value = getattr(options, name)
        if value is not None:
            check_range(f"--{name}", value, allowed)
