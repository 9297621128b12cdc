"""Options read once into typed values, and each command's ``--help`` listing its own options."""

import pytest

from herd.cli.main import main
from herd.errors import HerdInputError
from herd.model.fg_motion import ALL, FgMotion
from herd.model.model import ModelConfig
from herd.run.flags import parse_flags, to_flagfile
from herd.run.options import TrainConfig


@pytest.mark.parametrize("text, skeleton, soft", [("rigid", None, False), ("dense", None, True),
                                                  ("skel-human", "human", False), ("skel-quad", "quad", False),
                                                  ("comp_skel-human_dense", "human", True),
                                                  ("comp_skel-quad_dense", "quad", True)])
def test_fg_motion_reads_every_tutorial_spelling_and_writes_it_back(text, skeleton, soft):
    m = FgMotion.parse(text)
    assert (m.skeleton, m.soft) == (skeleton, soft) and str(m) == text
    _, cfg = parse_flags(["--seqname=x", f"--fg_motion={text}"], TrainConfig, ModelConfig)
    assert cfg.fg_motion == m and f"--fg_motion={text}\n" in to_flagfile(cfg)
    assert ModelConfig(fg_motion=text).fg_motion == m  # the flag spelling, read at construction
    assert len(set(ALL)) == 6


def test_unknown_fg_motion_is_one_line_naming_the_choices():
    with pytest.raises(HerdInputError, match="--fg_motion skel-cat: unknown; choose one of rigid, dense"):
        parse_flags(["--seqname=x", "--fg_motion", "skel-cat"], TrainConfig, ModelConfig)


@pytest.mark.parametrize("command, own, foreign", [("eval", "--stride", "--learning_rate"),
                                                   ("render", "--viewpoint", "--num_rays"),
                                                   ("export", "--grid_size", "--fg_motion"),
                                                   ("reanimate", "--motion_id", "--mask_wt")])
def test_help_of_a_command_on_a_run_lists_its_own_options_only(command, own, foreign, capsys):
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and own in out and foreign not in out and "--flagfile" in out


def test_train_help_lists_training_and_model_options(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--learning_rate" in out and "--fg_motion" in out
    # options documented together ("hidden, depth: ...") each get the doc
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("--depth "))
    assert "hidden layers" in line
