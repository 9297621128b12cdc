"""``herd <command> [flags]``: dispatch to a subcommand module, print user errors as one line."""

from __future__ import annotations

import importlib
import sys

from herd import __version__
from herd.errors import HerdInputError

# subcommand -> (module in herd.cli, one-line description)
COMMANDS = {
    "synth": ("synth_cmd", "render a synthetic category with ground truth"),
    "preprocess": ("preprocess_cmd", "your own videos or frame folders into a dataset"),
    "info": ("info_cmd", "summarise a dataset or a training run"),
    "train": ("train_cmd", "fit the category model to a dataset"),
    "render": ("render_cmd", "render a trained run from its cameras, a turntable or above"),
    "export": ("export_cmd", "meshes, motion and an animated glTF of a trained run"),
    "reanimate": ("reanimate_cmd", "one individual's motion on another's body"),
    "eval": ("eval_cmd", "metrics of a trained run (and against synthetic ground truth)"),
    "report": ("report_cmd", "a self-contained web page of a run"),
    "demo": ("demo_cmd", "the workflow on a small synthetic category"),
}


def _usage() -> str:
    lines = [
        f"herd {__version__}: animatable 3D category models from casual videos",
        "",
        "usage: herd <command> [flags]   (herd <command> --help for its flags)",
        "",
        "commands:",
    ]
    lines += [f"  {name:<12}{desc}" for name, (_, desc) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] == "--version":
        print(__version__)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd not in COMMANDS:
        sys.stderr.write(
            f"herd: error: unknown command {cmd!r}; commands are {', '.join(COMMANDS)} (see 'herd --help')\n"
        )
        return 2
    module = importlib.import_module(f"herd.cli.{COMMANDS[cmd][0]}")
    try:
        return int(module.run(rest) or 0)
    except HerdInputError as e:
        sys.stderr.write(f"herd {cmd}: error: {e}\n")
        return e.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"herd {cmd}: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
