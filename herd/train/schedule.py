"""How long to train when the user does not say: rounds and steps sized from the dataset.

``--num_rounds 0`` and ``--iters_per_round 0`` (the defaults) mean "from the dataset". The step
count grows with the frames of all videos, so that every frame is drawn about
:data:`VISITS_PER_FRAME` times whatever the number of videos, and never falls below
:data:`MIN_STEPS` (the old fixed default of 20 rounds of 100 steps, which datasets of up to 64
frames keep):

    steps = max(MIN_STEPS, VISITS_PER_FRAME * frames / frames_per_step)

The steps are cut into rounds of at least :data:`MIN_ITERS_PER_ROUND` steps, 20 to
:data:`MAX_ROUNDS` of them (the seed's category command uses 120), so a round (proxy refresh,
checkpoint, GLBs) stays a small share of the time. A value the user gives is kept: ``--num_rounds
120`` alone (the seed's flag) gets ``iters_per_round`` from the same step count; both given, the
dataset is not consulted.

Calibration (docs/benchmarks.md, "Single videos and categories"): the benchmarks that meet every
acceptance target train one 32-frame video for 2,000 steps and six (192 frames) for 6,000 steps of
16 frames, i.e. 1,000 and 500 draws per frame; this rule gives both: 2,000 and 6,000. At the seed's
scale that is 24 videos of 80 frames -> 60,000 steps (120 rounds of 500, about 3 hours at this
machine's 0.18 s per step), 48 -> 120,000 (120 rounds of 1,000, overnight). Whether so many draws
per frame are needed when neighbouring frames of long clips teach much the same is not measured:
that needs the multi-hour runs of issue 25.
"""

from __future__ import annotations

import dataclasses
import math

#: frames drawn per frame of the dataset over a run
VISITS_PER_FRAME = 500
#: the fewest steps a run is given
MIN_STEPS = 2000
#: rounds when sized from the data: at least 20, at most the seed's 120
MIN_ROUNDS, MAX_ROUNDS = 20, 120
#: steps per round when sized from the data: at least 100
MIN_ITERS_PER_ROUND = 100


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A run's length. ``source`` says which values came from the dataset."""

    num_rounds: int
    iters_per_round: int
    source: str

    @property
    def total_iters(self) -> int:
        return self.num_rounds * self.iters_per_round


def data_steps(num_frames: int, frames_per_step: int) -> int:
    """Steps that draw every one of ``num_frames`` frames about ``VISITS_PER_FRAME`` times."""
    return max(MIN_STEPS, math.ceil(VISITS_PER_FRAME * num_frames / max(frames_per_step, 1)))


def size_schedule(num_rounds: int, iters_per_round: int, num_frames: int, frames_per_step: int) -> Schedule:
    """Fill in ``num_rounds`` and ``iters_per_round`` where they are 0 ("from the dataset").

    Args:
        num_rounds, iters_per_round: the user's values, 0 where not given.
        num_frames: frames of all videos of the dataset.
        frames_per_step: ``--frames_per_step`` (frames drawn per step over all processes).
    """
    if num_rounds > 0 and iters_per_round > 0:
        return Schedule(num_rounds, iters_per_round, "given")
    steps = data_steps(num_frames, frames_per_step)
    if num_rounds > 0:
        return Schedule(
            num_rounds, max(MIN_ITERS_PER_ROUND, math.ceil(steps / num_rounds)), "iters_per_round from the dataset"
        )
    if iters_per_round > 0:
        return Schedule(max(1, math.ceil(steps / iters_per_round)), iters_per_round, "num_rounds from the dataset")
    rounds = min(MAX_ROUNDS, max(MIN_ROUNDS, steps // MIN_ITERS_PER_ROUND))
    return Schedule(rounds, max(MIN_ITERS_PER_ROUND, math.ceil(steps / rounds)), "from the dataset")


def resolve(opts, num_videos: int, num_frames: int, announce: bool = False):
    """``opts`` (a :class:`herd.run.options.TrainConfig`) with its schedule filled in from the
    dataset; prints one line saying so when ``announce``."""
    s = size_schedule(opts.num_rounds, opts.iters_per_round, num_frames, opts.frames_per_step)
    if announce:
        how = (
            ""
            if s.source == "given"
            else f" ({s.source}: {num_videos} videos, {num_frames} frames; "
            "set --num_rounds and --iters_per_round to choose)"
        )
        print(f"schedule: {s.num_rounds} rounds x {s.iters_per_round} steps = {s.total_iters} steps{how}", flush=True)
    return dataclasses.replace(opts, num_rounds=s.num_rounds, iters_per_round=s.iters_per_round)
