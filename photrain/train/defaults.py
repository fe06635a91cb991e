"""Defaults per learning rule and dataset: the one table ``photrain train`` resolves every option left unset from.

A layered rule (backprop, DFA, optical DFA) runs the Filipovich et al. (2022) MNIST set-up everywhere (784-800-800-10
style, SGD lr 0.01, momentum 0.9, batch 64, 10 epochs): it works on every dataset photrain ships. Equilibrium
propagation does not: with those settings EP on Braille ends at chance (4.1 %, issue 23). EP takes Scellier &
Bengio's (2017) MNIST set-up on MNIST and Fashion-MNIST, and on the small offline sets and MNIST-backrand (where
the MNIST set-up diverged at its lr 0.1) the Braille set-up that
``benchmarks/eqprop.py`` measured on the RRAM crossbar (one-sided beta 1, damped sweeps, 30 free / 15 nudged, lr 0.1,
layer rates 1 / 0.2, batch 20): it works in float and on the crossbar alike. STDP takes Shi et al.'s (2018) 500
neurons x 3 epochs on MNIST-sized sets and 100 neurons on the small ones.

``FLOORS`` states the test accuracy every algorithm x dataset pair reaches with only these defaults (float memory,
digital core; EP on Braille also with ``--memory rram --core crossbar``); the cheap pairs are tested in CI
(tests/test_defaults.py) and ``benchmarks/defaults.py`` runs them all. Explicit options always win; the resolved
values are what results.json's ``config`` records.
"""

from __future__ import annotations

from dataclasses import replace

LAYERED = ("backprop", "dfa", "dfa-reference-noise", "optical-dfa")
SMALL = ("digits", "braille", "braille-words")  # offline, generated or shipped: seconds per epoch
LARGE = ("mnist", "fashion-mnist", "mnist-backrand")  # 784-pixel images: 60k (mnist-backrand: 12k)

#: what every run falls back to (the layered rules' set-up; EP's options at their EqPropConfig values)
BASE = {"hidden": (800, 800), "lr": 0.01, "batch_size": 64, "momentum": 0.9, "epochs": 10,
        "beta": 0.5, "free_steps": 20, "nudged_steps": 8, "relax_step": 1.0, "layer_scale": None,
        "random_sign_beta": False, "channel_spacing": 0.0016}
#: EP on MNIST-sized sets: Scellier & Bengio's 784-500-10 (benchmarks/eqprop.py EP_MNIST; 2 epochs: 96.64 % float)
EP_LARGE = {"hidden": (500,), "lr": 0.1, "batch_size": 20, "momentum": 0.0, "epochs": 2, "beta": 0.5,
            "random_sign_beta": True, "free_steps": 20, "nudged_steps": 4, "layer_scale": (1.0, 0.5)}
#: EP on the small sets: benchmarks/eqprop.py EP_BRAILLE_HW (54-128-26; on the RRAM crossbar 94.23 % in 15 epochs)
EP_SMALL = {"hidden": (128,), "lr": 0.1, "batch_size": 20, "momentum": 0.0, "epochs": 10, "beta": 1.0,
            "random_sign_beta": False, "free_steps": 30, "nudged_steps": 15, "relax_step": 0.5, "layer_scale": (1.0, 0.2)}
#: an MRR bank (optical DFA's B e, --core bank) has one WDM channel per class: 26 Braille letters on the default 1.6 nm
#: grid overrun the 5 µm rings' FSR (18.4 nm), so Braille uses a 0.6 nm grid (26 x 0.6 = 15.6 nm)
DENSE_GRID = {"channel_spacing": 0.0006}

#: (algorithm, dataset) -> options that differ from BASE ('*' = any dataset)
TABLE: dict[tuple[str, str], dict] = {
    **{("eqprop", d): EP_LARGE for d in LARGE if d != "mnist-backrand"},
    **{("eqprop", d): EP_SMALL for d in SMALL},
    # MNIST-backrand (Larochelle et al. 2007): with EP_LARGE, EP diverged at lr 0.1 and 0.05 and reached 18.52 % /
    # 37.80 % at lr 0.02 / 0.01 in its 2 epochs; the damped Braille set-up: 77.16 % (photrain train, seed 1)
    ("eqprop", "mnist-backrand"): EP_SMALL,
    ("*", "braille"): DENSE_GRID,
    # lr 0.01 diverged at epoch 10 (loss 59 > 20x its initial 2.31, seed 1); 0.005: test 84.14 % (benchmarks/defaults.py)
    ("optical-dfa", "fashion-mnist"): {"lr": 0.005},
}

#: STDP (photrain.train.spiking.STDPConfig): neurons and epochs per dataset
STDP_BASE = {"neurons": 500, "epochs": 3}
STDP_TABLE = {d: {"neurons": 100} for d in SMALL}

#: (algorithm, dataset) -> test accuracy reached with only the defaults (float memory, digital core, seed 1), a
#: floor a few points under what benchmarks/defaults.py measured (its docstring has the figures)
FLOORS: dict[tuple[str, str], float] = {
    **{(a, "digits"): 0.90 for a in LAYERED}, **{(a, "braille"): 0.95 for a in LAYERED},
    **{(a, "braille-words"): 0.95 for a in LAYERED},
    ("eqprop", "digits"): 0.90, ("eqprop", "braille"): 0.90, ("eqprop", "braille-words"): 0.95,
    ("stdp", "digits"): 0.70, ("stdp", "braille"): 0.80, ("stdp", "braille-words"): 0.90,
    # MNIST / Fashion-MNIST with only the defaults (benchmarks/defaults.py --datasets mnist fashion-mnist, seed 1)
    ("backprop", "mnist"): 0.95, ("dfa", "mnist"): 0.93, ("dfa-reference-noise", "mnist"): 0.93,
    ("optical-dfa", "mnist"): 0.93, ("eqprop", "mnist"): 0.94,
    ("backprop", "fashion-mnist"): 0.85, ("dfa", "fashion-mnist"): 0.82, ("optical-dfa", "fashion-mnist"): 0.81,
    ("eqprop", "fashion-mnist"): 0.80, ("dfa-reference-noise", "fashion-mnist"): 0.82,
    ("stdp", "mnist"): 0.90, ("stdp", "fashion-mnist"): 0.72,
    # MNIST-backrand (12,000 training images; benchmarks/defaults.py --datasets mnist-backrand, seed 1): backprop
    # 81.64 %, dfa 82.00 %, dfa-reference-noise 81.50 %, optical-dfa 81.04 %, eqprop 77.16 %
    **{(a, "mnist-backrand"): 0.77 for a in LAYERED}, ("eqprop", "mnist-backrand"): 0.72,
    # no floor for stdp on mnist-backrand: it ends at chance (STDP_BACKRAND)
}
#: STDP on MNIST-backrand, test accuracy (seed 1, 3 epochs): 11.05 % with the defaults (500 neurons); 100 neurons
#: 10.86 %, every pixel (n_pixels None) 10.45 % (100) / 11.02 % (500), no normalisation 12.25 % (100): at chance
STDP_BACKRAND = "stdp ends at chance on mnist-backrand in every setting tried (11.05 % with the defaults)"
#: (algorithm, dataset) pairs with no floor, and why (benchmarks/defaults.py reports them without failing)
NO_FLOOR = {("stdp", "mnist-backrand"): STDP_BACKRAND}

#: (algorithm, dataset, extra options) -> floor of the defaults on that hardware (issue 23: EP on the RRAM crossbar)
HARDWARE_FLOORS: dict[tuple[str, str, tuple[str, ...]], float] = {
    ("eqprop", "braille", ("--memory", "rram", "--core", "crossbar")): 0.90,
}


def options(algorithm: str, dataset: str) -> dict:
    """The default of every option for ``algorithm`` on ``dataset`` (layered rules and EP)."""
    return {**BASE, **TABLE.get(("*", dataset), {}), **TABLE.get((algorithm, "*"), {}),
            **TABLE.get((algorithm, dataset), {})}


def stdp_options(dataset: str) -> dict:
    return {**STDP_BASE, **STDP_TABLE.get(dataset, {})}


def resolve(algorithm: str, dataset: str, given: dict) -> dict:
    """``given`` (option -> value, None = not given) with every None filled from the table."""
    table = stdp_options(dataset) if algorithm == "stdp" else options(algorithm, dataset)
    out = {k: (table.get(k) if v is None else v) for k, v in given.items()}
    if given.get("beta") is None and "beta" in out and out["beta"] >= 1 and (
            given.get("random_sign_beta") or given.get("symmetric_beta")):
        out["beta"] = BASE["beta"]  # a two-sided nudge needs |beta| < 1 (photrain.train.eqprop.EqPropConfig)
    return out


def _fmt(value) -> str:
    if isinstance(value, tuple | list):
        return " ".join(_fmt(v) for v in value)
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def describe(option: str) -> str:
    """The defaults of one option for --help, e.g. 'default: 800 800; eqprop: 500 on mnist, fashion-mnist; ...'."""
    rows = [(k, v[option]) for k, v in TABLE.items() if option in v]
    if option in STDP_BASE:
        rows += [(("stdp", "*"), STDP_BASE[option])] + [(("stdp", d), v[option]) for d, v in STDP_TABLE.items()
                                                        if option in v]
    base = BASE[option] if option in BASE else STDP_BASE[option]
    parts: dict[str, dict[str, list[str]]] = {}
    for (algorithm, dataset), value in rows:
        if value != base or algorithm == "stdp" and option in BASE:
            parts.setdefault(algorithm, {}).setdefault(_fmt(value), []).append(dataset)
    text = f"default: {_fmt(base)}"
    for algorithm, values in parts.items():
        shown = [v if ds == ["*"] or set(ds) == {*SMALL, *LARGE} else f"{v} on {', '.join(ds)}"
                 for v, ds in values.items()]
        text += f"; {'' if algorithm == '*' else algorithm + ': '}{', '.join(shown)}"
    return text


def chance_warning(accuracy: float | None, n_classes: int, algorithm: str, dataset: str, given: dict) -> str | None:
    """One line for stderr when a run ends within 2x chance (accuracy <= 2 / n_classes), else None.

    ``given``: the options the user set (their names as on the command line), named in the advice.
    """
    if accuracy is None or n_classes < 2 or accuracy > 2.0 / n_classes:
        return None
    if algorithm == "stdp" and dataset == "mnist-backrand":
        advice = f"a layered rule or eqprop: {STDP_BACKRAND}"
    elif algorithm == "stdp":
        advice = "more --neurons or --epochs, or no --prune"
    else:
        table = options(algorithm, dataset)
        set_here = [k for k in ("hidden", "lr", "batch_size", "epochs", "momentum") if given.get(k) is not None]
        if set_here:
            shown = ", ".join(f"--{k.replace('_', '-')} {_fmt(table[k])}" for k in set_here)
            advice = f"the defaults for {algorithm} on {dataset} are {shown}: drop your values or move towards them"
        else:
            advice = "a lower --lr if the loss grew, a higher one or more --epochs if it stalled"
        if algorithm == "eqprop":
            advice += "; eqprop also needs --beta large enough to lift its update above the core's noise (e.g. 1)"
    return (f"photrain: warning: test accuracy {100 * accuracy:.1f}% is within 2x chance ({100 / n_classes:.1f}% for "
            f"{n_classes} classes): the run did not learn; try {advice}")


#: expected output spikes per image during STDP training (out_rate x t_present) are read from the config
def fit_prune_schedule(cfg, n_images: int):
    """``cfg`` with ``mature_spikes`` and ``prune_ramp`` scaled so the asked pruning is reached within the run.

    The defaults (300 + 1000 spikes) fit Shi et al.'s MNIST run, where a neuron fires ~1800 output spikes
    (60k images x 3 epochs x 5 spikes / 500 neurons). A shorter run (fewer images, epochs or more neurons) scales
    both by its own expected spikes per neuron / 1800, so every neuron that fires its share matures and finishes
    its ramp by ~72 % of the run (1300 of 1800). Longer runs keep the defaults. Only for values the user did not set.
    """
    from photrain.train.spiking import STDPConfig

    per_neuron = n_images * cfg.epochs * cfg.out_rate * cfg.t_present / cfg.neurons
    full = 60000 * STDPConfig.epochs * STDPConfig.out_rate * STDPConfig.t_present / STDPConfig.neurons
    if cfg.prune == "none" or per_neuron >= full:
        return cfg
    scale = per_neuron / full
    return replace(cfg, mature_spikes=max(1, int(round(cfg.mature_spikes * scale))),
                   prune_ramp=int(round(cfg.prune_ramp * scale)))


def prune_warning(asked: float, reached: float, prune: str) -> str | None:
    """One line for stderr when pruning froze less than 90 % of the asked fraction, else None."""
    if prune == "none" or reached >= 0.9 * asked:
        return None
    return (f"photrain: warning: pruning froze {100 * reached:.1f}% of the synapses, not the asked "
            f"{100 * asked:.0f}%: too few neurons matured in this run; lower --mature-spikes and --prune-ramp, "
            "or train longer (--epochs, --max-images) or with fewer --neurons")
