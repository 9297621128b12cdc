"""``herd preprocess``: the user's own videos (or frame folders) into a herd dataset, on a CPU,
offline: frames, masks, optical flow, crops and intrinsics, and initial poses where a cue exists."""
