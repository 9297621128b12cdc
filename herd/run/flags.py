"""The one flag parser of every ``herd`` command, in the tutorial's spelling: ``--name=value``,
``--name value``, ``--name``/``--noname`` for booleans, ``--name v1 v2 ...`` for a list, and
``--flagfile=FILE`` (one flag per line, read in place, so later flags win).

Options are typed dataclasses; the docstring's ``Attributes:`` lines double as ``--help``, a
``RANGES`` class variable bounds numbers (:mod:`herd.option_range`) and a ``CHOICES`` one names
the values a text option takes. Why not absl-py, which speaks the same spellings: its flags are
process-wide globals registered at import, while herd's options are plain values passed
explicitly, typed and documented in one place, and several commands (render, export, eval) read
the training's options and their own side by side.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from pathlib import Path

from herd.errors import HerdInputError
from herd.option_range import check_ranges


def _attribute_docs(cls) -> dict[str, str]:
    doc = inspect.getdoc(cls) or ""
    out: dict[str, str] = {}
    cur: list[str] = []
    for line in doc.split("Attributes:", 1)[-1].splitlines():
        m = re.match(r"\s{4}(\w+(?:, \w+)*): (.*)", line)  # "name: doc" or "a, b: doc" (one doc for both)
        if m:
            cur = m.group(1).split(", ")
            out.update({c: m.group(2).strip() for c in cur})
        elif cur and line.startswith("        "):
            out.update({c: out[c] + " " + line.strip() for c in cur})
    return out


def _fields(classes) -> dict[str, tuple[type, dataclasses.Field, object]]:
    out = {}
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            out[f.name] = (cls, f, hints[f.name])
    return out


def _list_item(typ) -> type | None:
    """``X`` for a ``list[X]`` (or ``list[X] | None``) option, else None."""
    for t in (typ, *typing.get_args(typ)):
        if typing.get_origin(t) is list:
            return typing.get_args(t)[0]
    return None


def check_choices(options) -> None:
    """Every field of a flag dataclass named in its ``CHOICES`` holds one of them (or None)."""
    for name, allowed in getattr(options, "CHOICES", {}).items():
        value = getattr(options, name)
        if value is not None and value not in allowed:
            raise HerdInputError(f"--{name}={value}: choose {' or '.join(allowed)}")


def _convert(name: str, value: str, typ) -> object:
    origin = typing.get_origin(typ)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        if value.lower() in ("none", ""):
            return None
        typ = args[0]
    if callable(getattr(typ, "parse", None)):
        return typ.parse(value)  # a typed option read from its flag spelling (FgMotion)
    try:
        if typ is bool:
            v = value.lower()
            if v in ("1", "true", "yes"):
                return True
            if v in ("0", "false", "no"):
                return False
            raise ValueError
        if typ in (int, float, str):
            return typ(value)
        if typ is Path:
            return Path(value)
    except ValueError:
        pass
    raise HerdInputError(f"--{name}={value}: expected {getattr(typ, '__name__', typ)}")


def expand_flagfiles(argv: list[str]) -> list[str]:
    """Replace every ``--flagfile=F`` by the flags in ``F`` (recursively)."""
    out: list[str] = []
    it = iter(argv)
    for a in it:
        if a == "--flagfile" or a.startswith("--flagfile="):
            path = Path(a.split("=", 1)[1] if "=" in a else next(it, ""))
            if not path.is_file():
                raise HerdInputError(
                    f"{path}: no such flagfile; pass --flagfile=logdir/<run>/opts.log of a trained run"
                )
            lines = [ln.strip() for ln in path.read_text().splitlines()]
            out += expand_flagfiles([ln for ln in lines if ln and not ln.startswith("#")])
        else:
            out.append(a)
    return out


def parse_flags(
    argv: list[str],
    *classes,
    prog: str = "herd",
    positional: str | None = None,
    help_classes: tuple | None = None,
    help_note: str = "",
):
    """Parse flags into instances of ``classes`` (dataclasses; a flag belongs to the class that
    declares it). Unknown flags and bad values raise :class:`HerdInputError`. ``--help`` prints
    the options of ``help_classes`` (default: every class) with their docs, then ``help_note``,
    and exits. With ``positional`` (its name in the usage line), the arguments that are not flags
    come back as a list after the instances; without it they are an error."""
    fields = _fields(classes)
    values: dict[str, object] = {}
    argv = expand_flagfiles(list(argv))
    pos = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a in ("-h", "--help"):
            print(
                help_text(
                    prog, *(classes if help_classes is None else help_classes), note=help_note, positional=positional
                )
            )
            raise SystemExit(0)
        if not a.startswith("--"):
            pos.append(a)
            continue
        name, eq, val = a[2:].partition("=")
        if (
            name not in fields
            and name.startswith("no")
            and name[2:] in fields
            and fields[name[2:]][2] is bool
            and not eq
        ):
            values[name[2:]] = False
            continue
        if name not in fields:
            raise HerdInputError(f"unknown flag --{name} (see '{prog} --help')")
        typ = fields[name][2]
        item = _list_item(typ)
        if item is not None:  # --name v1 v2 ... (up to the next flag), or --name=v
            vals = [val] if eq else []
            while not eq and i < len(argv) and not argv[i].startswith("--"):
                vals.append(argv[i])
                i += 1
            if not vals:
                raise HerdInputError(f"--{name}: missing value")
            values[name] = [_convert(name, v, item) for v in vals]
            continue
        if not eq:
            if typ is bool and (i >= len(argv) or argv[i].lower() not in ("true", "false", "1", "0")):
                values[name] = True
                continue
            if i >= len(argv):
                raise HerdInputError(f"--{name}: missing value")
            val = argv[i]
            i += 1
        values[name] = _convert(name, val, typ)
    if pos and positional is None:
        raise HerdInputError(f"unexpected argument {pos[0]!r} (see '{prog} --help')")
    out = []
    for cls in classes:
        kw = {f.name: values[f.name] for f in dataclasses.fields(cls) if f.name in values}
        missing = [
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in kw and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise HerdInputError(f"missing flag --{missing[0]} (see '{prog} --help')")
        out.append(cls(**kw))
        check_ranges(out[-1])
        check_choices(out[-1])
    if positional is not None:
        out.append(pos)
    return out


def to_flagfile(*instances) -> str:
    """Options as a flagfile: one ``--name=value`` per line."""
    lines = []
    for inst in instances:
        for f in dataclasses.fields(inst):
            v = getattr(inst, f.name)
            lines.append(f"--{f.name}={'' if v is None else v}")
    return "\n".join(lines) + "\n"


def help_text(prog: str, *classes, note: str = "", positional: str | None = None) -> str:
    """Usage, then per class its first docstring line and one line per option (doc, default,
    allowed range or choices), then ``note``."""
    lines = [f"usage: {prog}{' ' + positional if positional else ''} [--flagfile=FILE] [--name=value ...]", ""]
    for cls in classes:
        docs = _attribute_docs(cls)
        lines.append(f"{(inspect.getdoc(cls) or cls.__name__).splitlines()[0]}")
        for f in dataclasses.fields(cls):
            default = "" if f.default is dataclasses.MISSING else f" (default: {f.default})"
            allowed = getattr(cls, "RANGES", {}).get(f.name)
            default += f" (allowed: {allowed})" if allowed else ""
            choices = getattr(cls, "CHOICES", {}).get(f.name)
            default += f" (choices: {', '.join(choices)})" if choices else ""
            lines.append(f"  --{f.name:<22}{docs.get(f.name, '')}{default}")
        lines.append("")
    if note:
        lines += [note, ""]
    return "\n".join(lines)


def to_config(options, cls, **overrides):
    """``cls`` (a dataclass of a library's settings) made from a command's parsed ``options``: every
    field the two share by name is copied, ``overrides`` give the rest (renamed or converted ones),
    so a command's options are not copied into its library's settings field by field."""
    names = {f.name for f in dataclasses.fields(cls)} - overrides.keys()
    return cls(**{n: getattr(options, n) for n in names if hasattr(options, n)}, **overrides)
