"""Synthetic categories with ground truth (``herd synth``).

Owns: procedural bodies and motions (:mod:`.bodies`, :mod:`.motion`); rigged glTF assets, in
layers that import one way: decoding the file (:mod:`.gltf_decode`, :mod:`.gltf_clips`), binding
everything it draws to one skeleton (:mod:`.asset_rig`), mapping that skeleton onto the built-in
ones (:mod:`.joint_map`), retargeting built-in motion onto it (:mod:`.retarget`), and the bodies
and motions the generator uses (:mod:`.asset`); cameras (:mod:`.cameras`); and the generator that
renders a category into the dataset format (:mod:`.generate`). Delegates: glTF parsing to
pygltflib, Draco decoding to DracoPy, meshing to scikit-image, rasterisation to
:mod:`herd.geometry.raster`, writing to :mod:`herd.data.writer`. docs/synth.md is the user's view.
"""
