"""Flags of the commands that use a trained run (``herd render``, ``export``, ``reanimate``,
``eval``), beside the run's own flags read with ``--flagfile logdir/<run>/opts.log``."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from herd.option_range import Range


@dataclasses.dataclass
class RenderOptions:
    """Rendering options.

    Attributes:
        inst_id: video (individual) to render, 0-based.
        viewpoint: ref (the video's own cameras), rot-<elevation>-<max_angle> (turntable) or
            bev-<elevation> (bird's-eye view), in degrees.
        freeze_id: hold time at this frame of the video while the camera moves (-1: time plays).
        num_frames: frames of a frozen-time sequence (0: as many as the video has).
        render_res: output resolution in pixels (square).
        png: also write every frame as PNG.
        fps: frame rate of the videos.
    """

    inst_id: int = 0
    viewpoint: str = "ref"
    freeze_id: int = -1
    num_frames: int = 0
    render_res: int = 256
    png: bool = False
    fps: float = 10.0

    RANGES: ClassVar[dict[str, Range]] = {
        "inst_id": Range(0),
        "freeze_id": Range(-1),
        "num_frames": Range(0),
        "render_res": Range(8),
        "fps": Range(0, above=True),
    }


@dataclasses.dataclass
class ExportOptions:
    """Export options.

    Attributes:
        inst_id: video (individual) to export, 0-based.
        grid_size: marching-cubes grid of the canonical mesh (cells per side; 256 takes seconds,
            the field is evaluated in full only near the surface).
        max_faces: decimate the mesh to at most this many faces (quadric error; 0: keep every
            face marching cubes makes). Colours, normals and skinning weights are evaluated at the
            decimated vertices.
    """

    inst_id: int = 0
    grid_size: int = 128
    max_faces: int = 0

    RANGES: ClassVar[dict[str, Range]] = {
        "inst_id": Range(0),
        "grid_size": Range(16, 1024),
        "max_faces": Range(100, or_zero=True),
    }


@dataclasses.dataclass
class ReanimateOptions:
    """Re-animation options: the motion of video motion_id on the body of video inst_id.

    Attributes:
        motion_id: video whose motion (joint rotations, root pose, soft deformation) is played.
        inst_id: video whose individual (shape, colour, bone lengths) performs it.
        render_res: output resolution in pixels (square).
        grid_size: marching-cubes grid of the body's mesh in the animated glTF.
        max_faces: decimate that mesh to at most this many faces (0: keep all).
        png: also write every frame as PNG.
        fps: frame rate of the videos.
    """

    motion_id: int = 0
    inst_id: int = 1
    render_res: int = 256
    grid_size: int = 128
    max_faces: int = 0
    png: bool = False
    fps: float = 10.0

    RANGES: ClassVar[dict[str, Range]] = {
        "motion_id": Range(0),
        "inst_id": Range(0),
        "render_res": Range(8),
        "grid_size": Range(16, 1024),
        "max_faces": Range(100, or_zero=True),
        "fps": Range(0, above=True),
    }


#: what ``--help`` of a command on a trained run says of the run's own flags, instead of listing them
RUN_FLAGS_NOTE = (
    "The run: --flagfile=logdir/<seqname>-<logname>/opts.log (the options it was trained with) and\n"
    "--load_suffix=latest or a round number (the checkpoint). Any flag of 'herd train --help' given\n"
    "after the flagfile overrides the run's value."
)


def open_trained_run(command: str, argv: list[str], options_cls, check=None):
    """Parse ``herd <command>``'s flags (the run's flagfile, then the command's own options of
    ``options_cls``), check them with ``check(options)`` before the slow part, open the run and
    note the command in its ``commands.log``. Returns ``(LoadedRun, options)``."""
    from herd.model.model import ModelConfig
    from herd.model.numerics import set_process_numerics
    from herd.run.flags import parse_flags
    from herd.run.folders import record_command
    from herd.run.loaded_run import load_run
    from herd.run.options import TrainConfig

    opts, model_cfg, options = parse_flags(
        argv,
        TrainConfig,
        ModelConfig,
        options_cls,
        prog=f"herd {command}",
        help_classes=(options_cls,),
        help_note=RUN_FLAGS_NOTE,
    )
    if check is not None:
        check(options)
    set_process_numerics()
    run = load_run(opts, model_cfg)
    record_command(run.run_dir, command, argv)
    return run, options
