"""Defaults per learning rule and dataset (photrain.train.defaults), the near-chance warning and the pruning warning."""

import json

import pytest

from photrain.cli import main
from photrain.train import defaults as d


def test_unset_options_resolve_per_algorithm_and_dataset_and_given_ones_win():
    ep = d.resolve("eqprop", "braille", {"hidden": None, "lr": None, "batch_size": 50, "beta": None})
    assert ep == {"hidden": (128,), "lr": 0.1, "batch_size": 50, "beta": 1.0}
    assert d.resolve("dfa", "braille", {"hidden": None, "lr": None}) == {"hidden": (800, 800), "lr": 0.01}
    assert d.resolve("eqprop", "mnist", {"hidden": None, "random_sign_beta": None})["random_sign_beta"] is True
    assert d.resolve("stdp", "digits", {"neurons": None, "epochs": None}) == {"neurons": 100, "epochs": 3}
    assert d.resolve("stdp", "mnist", {"neurons": None, "epochs": 1}) == {"neurons": 500, "epochs": 1}
    for dataset in (*d.SMALL, *d.LARGE):  # every pair resolves to a full set of options
        for algorithm in (*d.LAYERED, "eqprop"):
            assert set(d.options(algorithm, dataset)) == set(d.BASE)


def test_every_small_pair_has_a_floor_above_twice_chance():
    for dataset, classes in (("digits", 10), ("braille", 26), ("braille-words", 10)):
        for algorithm in (*d.LAYERED, "eqprop", "stdp"):
            assert d.FLOORS[algorithm, dataset] > 2 / classes


def test_mnist_backrand_defaults_have_floors_above_twice_chance_and_stdp_is_told_to_switch():
    assert "mnist-backrand" in d.LARGE
    for algorithm in (*d.LAYERED, "eqprop"):
        assert d.FLOORS[algorithm, "mnist-backrand"] > 2 / 10
    assert d.options("eqprop", "mnist-backrand") == {**d.BASE, **d.EP_SMALL}  # EP_LARGE diverged there
    assert d.options("backprop", "mnist-backrand") == d.BASE
    assert ("stdp", "mnist-backrand") not in d.FLOORS and ("stdp", "mnist-backrand") in d.NO_FLOOR  # at chance
    assert "a layered rule or eqprop" in d.chance_warning(0.11, 10, "stdp", "mnist-backrand", {})
    assert "--neurons" in d.chance_warning(0.11, 10, "stdp", "mnist", {})


def test_mnist_backrand_is_a_cli_dataset_and_a_missing_mnist_folder_is_one_line(tmp_path, capsys):
    """``photrain train --dataset mnist-backrand`` goes through the registry to the MNIST files (here absent)."""
    rc = main(["train", "--dataset", "mnist-backrand", "--data-dir", str(tmp_path), "--quiet",
               "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1 and not (tmp_path / "out").exists()
    assert "mnist-backrand is built from the MNIST files" in err[0] and str(tmp_path / "mnist") in err[0]
    assert "PHOTRAIN_DATA_DIR" in err[0]


def test_help_states_the_defaults_of_each_rule(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "2000")  # one line per option
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "hidden layer widths (default: 800 800; eqprop: 500 on mnist, fashion-mnist, 128 on digits, braille" in text
    assert "SGD learning rate (default: 0.01; eqprop: 0.1; optical-dfa: 0.005 on fashion-mnist)" in text
    assert "(default: 10; eqprop: 2 on mnist, fashion-mnist; stdp: 3)" in text
    assert "stdp: output neurons (default: 500; stdp: 100 on digits" in text


def test_a_run_within_twice_chance_warns_and_results_json_holds_the_resolved_defaults(tmp_path, capsys):
    """A deliberately bad tiny run (4 hidden units, lr 1e-6, 1 epoch) ends at chance: one warning line on stderr."""
    rc = main(["train", "--dataset", "digits", "--algorithm", "dfa", "--hidden", "4", "--lr", "1e-6", "--epochs", "1",
               "--quiet", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 0 and len(err) == 1
    assert "within 2x chance (10.0% for 10 classes)" in err[0] and "--hidden 800 800, --lr 0.01" in err[0]
    config = json.loads((tmp_path / "results.json").read_text())["config"]
    assert (config["hidden"], config["lr"], config["batch_size"], config["momentum"]) == ([4], 1e-6, 64, 0.9)


def test_chance_warning_only_within_twice_chance():
    assert d.chance_warning(0.21, 10, "dfa", "digits", {}) is None
    assert "within 2x chance (3.8% for 26 classes)" in d.chance_warning(0.041, 26, "eqprop", "braille", {})
    assert "--beta" in d.chance_warning(0.041, 26, "eqprop", "braille", {})
    assert "--neurons" in d.chance_warning(0.15, 10, "stdp", "digits", {})


def test_prune_schedule_scales_to_a_short_run_and_keeps_the_full_one():
    from photrain.train.spiking import STDPConfig

    cfg = STDPConfig(neurons=100, prune="soft", prune_fraction=0.5)
    short = d.fit_prune_schedule(cfg, 1438)  # digits: 1438 x 3 epochs x 5 spikes / 100 neurons = 216 spikes each
    assert (short.mature_spikes, short.prune_ramp) == (36, 120)
    assert short.mature_spikes + short.prune_ramp <= 0.75 * 216  # ramped by ~72 % of the run
    full = STDPConfig(neurons=500, prune="soft", prune_fraction=0.75)
    assert d.fit_prune_schedule(full, 60000) == full
    assert d.fit_prune_schedule(STDPConfig(neurons=100), 1438) == STDPConfig(neurons=100)  # no pruning asked


def test_pruning_that_falls_short_warns_on_stderr(tmp_path, capsys, monkeypatch):
    """The CLI's wiring: the schedule is fitted unless given, and a shortfall is one warning line (run faked)."""
    import photrain.train.spiking_run as sr

    seen = {}

    def fake_run(cfg, out, **kw):
        seen["fit"], seen["cfg"] = kw["fit_prune"], cfg
        return {"pruned_fraction": 0.0, "accuracy": 0.8, "writes": 1, "writes_saved": 0, "samples_per_s": 1.0,
                "n_classes": 10}

    monkeypatch.setattr(sr, "run_stdp", fake_run)
    argv = ["train", "--algorithm", "stdp", "--dataset", "digits", "--prune", "soft", "--prune-fraction", "0.5",
            "--quiet", "--out", str(tmp_path)]
    assert main(argv) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert seen["fit"] == ("mature_spikes", "prune_ramp") and seen["cfg"].neurons == 100
    assert len(err) == 1 and "froze 0.0% of the synapses, not the asked 50%" in err[0] and "--mature-spikes" in err[0]
    assert main([*argv, "--mature-spikes", "300"]) == 0
    assert seen["fit"] == ("prune_ramp",) and seen["cfg"].mature_spikes == 300
    assert d.prune_warning(0.5, 0.47, "soft") is None and d.prune_warning(0.5, 0.0, "none") is None
