"""Synthetic categories with ground truth (``herd synth``).

Owns: procedural bodies and motions (:mod:`.bodies`, :mod:`.motion`), bodies and motions from a
rigged glTF asset (:mod:`.asset`), cameras (:mod:`.cameras`), and the generator that renders a
category into the dataset format (:mod:`.generate`). Delegates: meshing to scikit-image,
rasterisation to :mod:`herd.geometry.raster`, writing to :mod:`herd.data.writer`.
"""
