"""What changes over a training, as functions of the step or of ``progress``, the share of the
training done, in [0, 1] (the model's own schedules, position octaves and the soft field's ramp,
are :meth:`herd.model.model.HerdModel.set_progress`)."""

from __future__ import annotations

import math


def lr_factor(step: int, total_iters: int, warmup_iters: int) -> float:
    """The learning rate at ``step`` relative to ``--learning_rate``: a linear warm-up over
    ``warmup_iters`` steps, then a cosine from 1 down to 0.1 at ``total_iters``."""
    total, warm = max(total_iters, 1), max(warmup_iters, 1)
    if step < warm:
        return (step + 1) / warm
    p = min((step - warm) / max(total - warm, 1), 1.0)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p))


def pose_prior_weight(weight: float, fade: float, progress: float) -> float:
    """``--pose_prior_wt`` (``weight``), kept all through training, or fading linearly to 0 over
    the first ``fade`` of it when that is set (``--pose_prior_fade``)."""
    if fade <= 0:
        return weight
    return weight * max(0.0, 1.0 - progress / fade)


def code_swap_probability(num_codes: int, progress: float) -> float:
    """Code swapping: the chance that a frame's canonical shape is evaluated with another
    video's morphology code; 0.5 at the start, decaying linearly to 0 at 30% of training, and
    0 with a single code. It keeps the shared shape a category mean early on, so individual
    detail has to come through the codes."""
    if num_codes < 2:
        return 0.0
    return 0.5 * max(0.0, 1.0 - progress / 0.3)
