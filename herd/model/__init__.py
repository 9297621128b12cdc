"""The articulated neural field: canonical SDF and colour, skeleton, skinning, soft deformation, root pose.

Owns: every learnable quantity and how points move between a frame's posed object space and the
canonical space. Fields answer "what is here"; sampling and compositing live in
:mod:`herd.render`, losses and schedules in :mod:`herd.train`. Per-video quantities are indexed by
video and per-frame ones by a global frame index (frames of all videos concatenated), so one model
serves one video or a whole category.

Shape letters: ``N`` points, ``J`` joints (one Gaussian bone per joint), ``K`` frames in a batch,
``V`` videos, ``D`` feature width.
"""
