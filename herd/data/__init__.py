"""Datasets: the on-disk format (version 1), its reader and writer, and the built-in skeletons.

Owns: what a dataset is and whether one is valid. Delegates: image decoding to Pillow, nothing
else. Training reads datasets only through :mod:`herd.data.reader`; synthetic ground truth
(``gt/``) is read only through :mod:`herd.data.ground_truth`, which training never imports.
"""
