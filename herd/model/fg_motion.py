"""``--fg_motion``, what moves the object, as a typed value: read once from its flag spelling
(the tutorial's ``rigid``, ``dense``, ``skel-<kind>``, ``comp_skel-<kind>_dense``) when options are
read, then asked ``.skeleton`` and ``.soft`` wherever the answer matters."""

from __future__ import annotations

import dataclasses

from herd.errors import HerdInputError

#: skeleton kinds a motion may name (a dataset with a custom skeleton, e.g. from a glTF asset,
#: serves any of them)
SKELETON_KINDS = ("human", "quad")


@dataclasses.dataclass(frozen=True)
class FgMotion:
    """The object's motion model.

    Attributes:
        skeleton: skeleton kind the body is articulated with (``"human"`` or ``"quad"``), or None
            (a rigid body, or one moved by soft deformation only).
        soft: a soft deformation field on top (``dense`` and ``comp_skel-*_dense``).
    """

    skeleton: str | None = "quad"
    soft: bool = True

    def __post_init__(self) -> None:
        if self.skeleton is not None and self.skeleton not in SKELETON_KINDS:
            raise HerdInputError(
                f"--fg_motion: unknown skeleton kind {self.skeleton!r}; choose {' or '.join(SKELETON_KINDS)}"
            )

    @classmethod
    def parse(cls, text: str) -> FgMotion:
        """The flag spelling to the value; an unknown spelling is a one-line error naming the choices."""
        for m in ALL:
            if str(m) == text:
                return m
        raise HerdInputError(f"--fg_motion {text}: unknown; choose one of {', '.join(map(str, ALL))}")

    def __str__(self) -> str:
        """The flag spelling, as written to ``opts.log``."""
        if self.skeleton is None:
            return "dense" if self.soft else "rigid"
        return f"comp_skel-{self.skeleton}_dense" if self.soft else f"skel-{self.skeleton}"


#: every motion, in the order ``--help`` and the errors list them
ALL = (
    FgMotion(None, False),
    FgMotion(None, True),
    *(FgMotion(k, False) for k in SKELETON_KINDS),
    *(FgMotion(k, True) for k in SKELETON_KINDS),
)
