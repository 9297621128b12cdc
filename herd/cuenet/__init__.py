"""Training herd's own cue network (:mod:`herd.preprocess.cue_net`) from its synthetic generator:
``python -m herd.cuenet --category quad`` renders a training set with ``herd synth``, crops it and
computes its optical flow the way ``herd preprocess`` does, trains on the CPU and writes the weights
that ``herd preprocess`` ships and uses. See ``docs/preprocess.md``."""
