"""A run, ``<logroot>/<seqname>-<logname>/``, as every command sees it: its options (``options``,
the model's in :mod:`herd.model.model`) and their flags and flagfiles (``flags``), where datasets
and runs live and which options fit a dataset (``folders``), the model's picture of the data
(``scene_meta``), the training lock (``lock``), the progress record (``progress``), checkpoints
and the one way to open them (``checkpoint``), a trained run opened for use (``loaded_run``) and a
run's summary (``summary``).

Training (:mod:`herd.train`) writes runs; export, evaluation and the report read them. Both
depend on this package, neither on the other's. It owns no training step and no loss.
"""
