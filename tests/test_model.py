"""Model pieces: rotations, skinning, warps, gradients."""

import math

import numpy as np
import pytest
import torch

from herd.data.skeletons import HUMAN, QUAD
from herd.geometry.skeleton import forward_kinematics
from herd.geometry.transforms import axis_angle_to_matrix as np_axis_angle
from herd.model import so3
from herd.model.articulation import Articulation
from herd.model.encodings import MLP, FourierEncoding, PerFrame
from herd.model.model import HerdModel, ModelConfig, SceneMeta
from herd.model.skinning import monomials, quadratic_coefficients, segment_matmul


def test_axis_angle_matches_numpy_and_inverts():
    rv = torch.tensor([[0.0, 0.0, 0.0], [1e-5, 0, 0], [0.3, -1.2, 0.5], [2.5, 0.1, -0.4]], dtype=torch.float64)
    R = so3.axis_angle_to_matrix(rv)
    np.testing.assert_allclose(R.numpy(), np_axis_angle(rv.numpy()), atol=1e-12)
    np.testing.assert_allclose(so3.matrix_to_axis_angle(R).numpy(), rv.numpy(), atol=1e-6)


def test_axis_angle_gradcheck_float64():
    rv = torch.tensor([[0.3, -1.2, 0.5], [1e-3, 2e-3, -1e-3]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(so3.axis_angle_to_matrix, (rv,))


def test_quadratic_form_equals_mahalanobis():
    g = torch.Generator().manual_seed(0)
    c = torch.randn(5, 3, generator=g, dtype=torch.float64)
    A = torch.randn(5, 3, 3, generator=g, dtype=torch.float64)
    P = A @ A.transpose(1, 2) + torch.eye(3, dtype=torch.float64)
    x = torch.randn(100, 3, generator=g, dtype=torch.float64)
    fast = monomials(x) @ quadratic_coefficients(c, P)
    d = x[:, None] - c[None]
    slow = -0.5 * torch.einsum("nja,jab,njb->nj", d, P, d)
    torch.testing.assert_close(fast, slow)


def test_segment_matmul_matches_loop():
    a = torch.randn(10, 4)
    b = torch.randn(3, 4, 2)
    out = segment_matmul(a, b, [3, 0, 7])
    torch.testing.assert_close(out, torch.cat([a[:3] @ b[0], a[3:] @ b[2]]))


@pytest.mark.parametrize("alpha", [6.0, 2.5, 0.0])
def test_fourier_encoding_is_the_windowed_sin_cos_of_each_octave(alpha):
    enc = FourierEncoding(3, 6)
    enc.set_alpha(alpha)
    x = torch.rand(50, 3) * 2 - 1
    out = enc(x)
    assert out.shape == (50, 3 * 13) and torch.equal(out[:, :3], x)
    for k in range(6):
        w = 0.5 * (1 - math.cos(math.pi * min(max(alpha - k, 0.0), 1.0)))
        block = out[:, 3 + 6 * k : 9 + 6 * k]
        arg = (2.0**k) * math.pi * x
        torch.testing.assert_close(block, w * torch.cat([torch.sin(arg), torch.cos(arg)], -1), atol=2e-5, rtol=0)


@pytest.mark.parametrize("bf16", [False, True])
def test_mlp_condition_apart_equals_the_concatenation(bf16):
    """A condition given apart (per point or per frame) is the same network as the concatenated
    input, with the same gradients; ``PerFrame.rows`` finds each point's frame."""
    torch.manual_seed(0)
    net = MLP(5 + 3, 16, 2, 4)
    net.bf16 = bf16
    for p in net.parameters():  # default init would leave the zero-bias path untested
        p.data.uniform_(-0.5, 0.5)
    counts = [3, 0, 4, 2]
    x = torch.randn(9, 5)
    values = torch.randn(4, 3, requires_grad=True)
    cond = PerFrame(values, counts)
    rows = [0, 0, 0, 2, 2, 2, 2, 3, 3]
    assert torch.equal(cond.rows(torch.tensor([0, 2, 3, 6, 7, 8])), values[[0, 0, 2, 2, 3, 3]])
    ref = net(torch.cat([x, values[rows]], -1))
    (g_ref,) = torch.autograd.grad(ref.square().sum(), values)
    rel = 0.03 if bf16 else 1e-5  # bf16 rounds the two sums in different places
    for out in (net(x, cond), net(x, values[rows])):  # per frame, per point
        (g,) = torch.autograd.grad(out.square().sum(), values)
        assert (out - ref).abs().max() <= rel * ref.abs().max()
        assert (g - g_ref).abs().max() <= rel * g_ref.abs().max()


def test_bf16_row_padding_changes_neither_outputs_nor_gradients(monkeypatch):
    """bf16 MLP inputs are padded to a multiple of ``BF16_ROW_BUCKET`` rows (so oneDNN reuses its
    kernels): the same outputs and weight gradients as unpadded, in every condition layout."""
    from herd.model import encodings

    torch.manual_seed(1)
    net = MLP(5 + 3, 16, 2, 4)
    net.bf16 = True
    x, values, counts = torch.randn(9, 5), torch.randn(4, 3), [3, 0, 4, 2]
    results = []
    for bucket in (1, 64):
        monkeypatch.setattr(encodings, "BF16_ROW_BUCKET", bucket)
        outs = [
            net(x, PerFrame(values, counts)),
            net(x, PerFrame(values, counts).per_point()),
            net(torch.cat([x, PerFrame(values, counts).per_point()], -1)),
        ]
        grads = torch.autograd.grad(sum(o.square().sum() for o in outs), list(net.parameters()))
        assert all(o.shape == (9, 4) and o.dtype == torch.float32 for o in outs)
        results.append((outs, grads))
    (o1, g1), (o2, g2) = results
    for a, b in zip(o1 + list(g1), o2 + list(g2)):
        assert (a - b).abs().max() <= 0.02 * b.abs().max() + 1e-6


@pytest.mark.parametrize("sk", [HUMAN, QUAD])
def test_torch_fk_matches_numpy(sk):
    art = Articulation(sk, num_videos=1, time_dim=4, code_dim=3).double()
    rv = torch.randn(2, sk.num_joints, 3, dtype=torch.float64) * 0.5
    rv[:, 0] = 0
    R = so3.axis_angle_to_matrix(rv)
    rest = torch.tensor(sk.rest_joints)[None].expand(2, -1, -1)
    T = art.forward_kinematics(R, rest)
    ref, _ = forward_kinematics(sk.parents, sk.rest_joints, R.numpy())
    np.testing.assert_allclose(T.numpy(), ref, atol=1e-10)


def _tiny_model(fg_motion="comp_skel-quad_dense", frames=6, videos=2, single_inst=False, per_video_motion=False):
    T = frames * videos
    init = np.tile(np.eye(4), (T, 1, 1))
    init[:, 2, 3] = 3.0
    meta = SceneMeta(
        frame_video=np.repeat(np.arange(videos), frames),
        frame_time=np.tile(np.linspace(0, 1, frames), videos),
        init_obj2cam=init,
        intrinsics=np.tile([50.0, 50.0, 16.0, 16.0], (T, 1)),
        num_videos=videos,
        skeleton=QUAD if "skel" in fg_motion else None,
        center=np.array([0.0, 0.5, 0.0]),
        extent=0.9,
    )
    torch.manual_seed(0)
    return HerdModel(ModelConfig(fg_motion=fg_motion, single_inst=single_inst, per_video_motion=per_video_motion), meta)


def _perturb(model):
    """Make every motion network non-trivial (they start at zero)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "net" in name or "correction" in name or "fwd" in name or "bwd" in name or "length_head" in name:
                p.add_(torch.randn_like(p) * 0.05)
        model.time.codes.normal_(0, 0.3)


def test_skinning_weights_sum_to_one():
    m = _tiny_model()
    _perturb(m)
    x = torch.randn(50, 3) * 0.4 + m.center
    w = m.bones.canonical_weights(x, m.video_code(torch.zeros(50, dtype=torch.long)))
    torch.testing.assert_close(w.sum(-1), torch.ones(50))
    st = m.frame_state(torch.tensor([0, 3]))
    wp = m.bones.posed_weights(x, st.posed_coef, [20, 30])
    torch.testing.assert_close(wp.sum(-1), torch.ones(50))
    assert (w >= 0).all() and (wp >= 0).all()


def test_commands_flush_subnormals_at_start_up_and_skinning_stays_normalised():
    from herd.model.numerics import set_process_numerics

    torch.set_flush_denormal(False)
    tiny = torch.tensor([1e-30], dtype=torch.float32)
    assert float(tiny * 1e-9) > 0  # a subnormal survives by default
    m = _tiny_model()
    assert float(tiny * 1e-9) > 0  # building a model changes no process-wide setting
    set_process_numerics()  # what every command that uses a model does first
    assert float(tiny * 1e-9) == 0  # flushed (a 30% faster step)
    x = torch.randn(50, 3) + m.center  # points far from most bones: logits far below the maximum
    st = m.frame_state(torch.tensor([0]))
    wp = m.bones.posed_weights(x, st.posed_coef, [50])
    torch.testing.assert_close(wp.sum(-1), torch.ones(50))


@pytest.mark.parametrize("fg_motion", ["rigid", "skel-quad"])
def test_warp_round_trip_returns_the_point(fg_motion):
    m = _tiny_model(fg_motion)
    _perturb(m)
    st = m.frame_state(torch.tensor([1, 8]))
    # points attached to the skeleton: the rest joints and the Gaussian centres
    xc = (
        torch.cat([torch.tensor(QUAD.rest_joints, dtype=torch.float32), m.bones.center.detach()])
        if m.bones is not None
        else torch.randn(50, 3)
    )
    n = xc.shape[0]
    xc2 = torch.cat([xc, xc])
    counts = [n, n]
    with torch.no_grad():
        xt = m.to_posed(xc2, counts, st)
        back = m.to_canonical(xt, m.to_canonical_coarse(xt, counts, st), counts, st)
    err = (back - xc2).norm(dim=-1)
    assert err.median() < 1e-3 and err.max() < 0.05, err


def test_round_trip_after_soft_deformation_is_bounded_by_the_cycle_residual():
    m = _tiny_model("comp_skel-quad_dense")
    st = m.frame_state(torch.tensor([2]))
    xc = torch.tensor(QUAD.rest_joints, dtype=torch.float32)
    with torch.no_grad():
        xt = m.to_posed(xc, [len(xc)], st)
        back = m.to_canonical(xt, m.to_canonical_coarse(xt, [len(xc)], st), [len(xc)], st)
    assert (back - xc).norm(dim=-1).max() < 1e-3  # zero-initialised soft fields are exact inverses


def test_bone_lengths_are_left_right_symmetric():
    m = _tiny_model()
    _perturb(m)
    s = m.articulation.bone_scale(m.morph_codes)
    mirror = QUAD.symmetry[QUAD.bone_children] - 1
    torch.testing.assert_close(s, s[:, mirror])
    assert not torch.allclose(s[0], s[1])  # two individuals, two sets of lengths


@pytest.mark.parametrize("per_video_motion", [False, True])
def test_adding_a_video_adds_only_its_own_parameters(per_video_motion):
    a, b = (_tiny_model(videos=v, frames=6, per_video_motion=per_video_motion) for v in (2, 3))
    pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
    assert set(pa) == set(pb)
    cfg = a.cfg
    per_video = {
        "morph_codes": cfg.code_dim,
        "app_codes": cfg.app_dim,
        "log_focal": 1,
        "time.video_codes": cfg.time_code_dim,
        "time.codes": 6 * cfg.time_code_dim,
    }
    per_video_nets = ("root.net.", "articulation.rot_net.") if per_video_motion else ("root.net.",)
    for name in pa:
        if name.startswith(per_video_nets):  # one network per video
            per_video[name] = pa[name].numel() // 2
        extra = pb[name].numel() - pa[name].numel()
        assert extra == per_video.get(name, 0), name


def _root_translation(m, frames):
    return m.root_pose(frames)[:, :3, 3]


def _joint_rotations(m, frames):
    return m.frame_state(frames).joint_rotvecs


@pytest.mark.parametrize("net, output", [("root.net", _root_translation), ("articulation.rot_net", _joint_rotations)])
def test_per_video_motion_networks_use_only_their_own_video(net, output):
    m = _tiny_model(videos=3, frames=6, per_video_motion=True)
    params = [p for name, p in m.named_parameters() if name.startswith(net + ".")]
    with torch.no_grad():
        for p in params:
            p.normal_(std=0.3)  # the output layer starts at zero
    output(m, torch.tensor([6, 7, 8])).sum().backward()  # frames of the second video
    for p in params:
        assert p.grad[1].abs().sum() > 0
        assert p.grad[0].abs().sum() == 0 and p.grad[2].abs().sum() == 0
    other = output(m, torch.tensor([0, 12])).detach()
    with torch.no_grad():
        for p in params:
            p[1] += 1.0
    torch.testing.assert_close(output(m, torch.tensor([0, 12])), other)


def test_shape_code_swap_changes_only_the_shape_code():
    m = _tiny_model(videos=2, frames=6)
    frames = torch.tensor([0, 7])
    plain = m.frame_state(frames)
    swapped = m.frame_state(frames, shape_video=torch.tensor([1, 0]))
    torch.testing.assert_close(swapped.code, plain.code)
    torch.testing.assert_close(swapped.skin, plain.skin)  # bone lengths stay the individual's own
    torch.testing.assert_close(swapped.shape_code, plain.code.flip(0))
    x = torch.tensor([[0.0, 0.5, 0.0]]).repeat(2, 1)
    assert not torch.allclose(m.sdf(x, swapped.shape_code), m.sdf(x, plain.shape_code))
