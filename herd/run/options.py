"""Options of ``herd train`` (saved beside each run as ``opts.log`` with the model options,
:class:`herd.model.model.ModelConfig`, which hold ``--fg_motion`` and ``--single_inst``)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from herd.option_range import Range
from herd.render.renderer import RenderConfig


@dataclasses.dataclass
class TrainConfig:
    """Training options (tutorial flag names).

    Attributes:
        seqname: dataset folder name under --data_root, or a path to it.
        logname: run name; the run goes to <logroot>/<seqname>-<logname>/.
        data_root: where datasets live.
        logroot: where runs go.
        num_rounds: rounds of training; the proxy, checkpoints and visualisations refresh each round
            (0: sized from the dataset's frames, herd.train.schedule, printed at the start).
        iters_per_round: optimisation steps per round (0: sized from the dataset, as num_rounds).
        learning_rate: peak AdamW learning rate.
        num_rays: rays per step, over all processes (torchrun splits the step's frames between them).
        frames_per_step: frames per step, over all processes (rays are split evenly between them).
        train_res: training resolution in pixels (square); 0 uses the dataset's (capped at 128).
        num_samples: samples per ray.
        mask_wt: weight of the balanced mask loss.
        rgb_wt: weight of the colour loss (inside the mask).
        flow_wt: weight of the confidence-weighted flow loss, for flow of an estimator's precision;
            flow its dataset states exact (video.json ``flow_sigma_px``, herd synth's) weighs 4 times.
        kp_wt: weight of the keypoint reprojection loss (when keypoints exist), for keypoints of a
            detector's precision; each video's keypoints weigh more by the inverse variance of the
            error its dataset states (video.json ``keypoint_sigma_px``; exact keypoints 22,500 times).
        depth_wt: weight of the depth loss (when depth exists; 0 = off).
        eikonal_wt: weight of the eikonal term on a subset of points.
        normal_smooth_wt: weight of the normal smoothness term: the squared difference of the
            SDF's unit gradient at the eikonal points and at points 1.5% of the object size away.
            It keeps the top Fourier octaves from drawing a ripple finer than the training pixels
            can constrain, which shows in normals from the field (docs/model.md; 0 turns it off).
        cycle_wt: weight of the forward/backward warp cycle loss.
        soft_deform_wt: weight of the soft-deformation size penalty (forward and backward field)
            for videos with exact keypoints: strong (100) because the reference view cannot tell a
            soft displacement from a right shape, and the held-out views pay for it. Others scale
            it by their keypoints' precision, at least 1/100 (1 for a detector's or none), since
            the soft field takes up what loose keypoints leave of the pose (docs/model.md).
        skin_wt: weight of the skinning regulariser (Gaussian bones inside the shape).
        prior_wt: weight of the bone-length prior (bone lengths near the category mean).
        pose_prior_wt: weight of the pose prior (joint rotations near the rest pose, robust) for
            videos with exact keypoints; others scale it by their keypoints' precision (1/22,501
            for a detector's or none), so it never outweighs their keypoints.
        pose_prior_scale: rotation (radians) beyond which the pose prior lets go (0: plain squares).
        pose_prior_fade: fraction of training over which the pose prior fades out (0: never fades).
        warmup_iters: learning-rate warm-up steps.
        grad_clip: gradient-norm clip.
        seed: random seed (data sampling, initialisation).
        device: auto, cpu or cuda.
        bf16: run MLPs under bfloat16 autocast (off by default: on the Intel reference machine,
            without AMX, bf16 matrix products are slower than float32 and a step is 15-20% slower;
            CPUs with AMX and GPUs gain; docs/model.md).
        threads: CPU threads (0: all cores).
        load_suffix: resume from ckpt_<suffix>.pth of this run (latest or a round number).
        init_pose: data (the dataset's initial poses), search (try several root orientations), or
            auto: data when every video of the dataset has initial poses, search otherwise.
        init_smooth: Gaussian smoothing of the initial poses over time, in frames (0: off); removes
            the independent per-frame noise of a viewpoint estimate.
        max_minutes: stop after this much training time (0: no limit); the run ends as if its last
            round ended there (checkpoint, visualisations, history), the schedules are not rescaled.
        quiet: no progress bar.
    """

    seqname: str
    logname: str = "run"
    data_root: str = "database"
    logroot: str = "logdir"
    num_rounds: int = 0
    iters_per_round: int = 0
    learning_rate: float = 3e-3
    num_rays: int = 4096
    frames_per_step: int = 16
    train_res: int = 0
    num_samples: int = 32
    mask_wt: float = 1.0
    rgb_wt: float = 0.2
    flow_wt: float = 0.5
    kp_wt: float = 5.0
    depth_wt: float = 0.0
    eikonal_wt: float = 1e-3
    normal_smooth_wt: float = 0.1
    cycle_wt: float = 0.5
    soft_deform_wt: float = 100.0
    skin_wt: float = 1.0
    prior_wt: float = 0.01
    pose_prior_wt: float = 10.0
    pose_prior_scale: float = 0.15
    pose_prior_fade: float = 0.0
    warmup_iters: int = 100
    grad_clip: float = 10.0
    seed: int = 0
    device: str = "auto"
    bf16: bool = False
    threads: int = 0
    load_suffix: str = ""
    init_pose: str = "auto"
    init_smooth: float = 3.0
    max_minutes: float = 0.0
    quiet: bool = False

    RANGES: ClassVar[dict[str, Range]] = {
        "num_rounds": Range(1, or_zero=True),
        "iters_per_round": Range(1, or_zero=True),
        "learning_rate": Range(0, above=True),
        "num_rays": Range(8),
        "frames_per_step": Range(1),
        "train_res": Range(8, or_zero=True),
        "num_samples": Range(2),
        **{
            w: Range(0)
            for w in (
                "mask_wt",
                "rgb_wt",
                "flow_wt",
                "kp_wt",
                "depth_wt",
                "eikonal_wt",
                "normal_smooth_wt",
                "cycle_wt",
                "soft_deform_wt",
                "skin_wt",
                "prior_wt",
                "pose_prior_wt",
                "pose_prior_scale",
            )
        },
        "pose_prior_fade": Range(0, 1),
        "warmup_iters": Range(0),
        "grad_clip": Range(0, above=True),
        "seed": Range(0),
        "threads": Range(0),
        "init_smooth": Range(0),
        "max_minutes": Range(0),
    }

    @property
    def total_iters(self) -> int:
        return self.num_rounds * self.iters_per_round

    def render_config(self) -> RenderConfig:
        return RenderConfig(num_samples=self.num_samples)
