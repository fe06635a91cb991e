"""Spiking network with STDP (Shi, Kuzum et al., Nat. Commun. 2018) and soft/conventional pruning."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.train.data import load_digits
from photrain.train.spiking import (
    NetState,
    STDPConfig,
    digital_synapses,
    eta_schedule,
    input_weight_sums,
    make_train_chunk,
    membrane_potential,
    pair_dw,
    poisson_probability,
    poisson_spikes,
    stdp_dw,
    train_stdp,
)
from photrain.train.spiking.prune import n_pruned, prune_row, pruned_due
from photrain.train.spiking.run import _step_factory

ETA, LTD = 0.1, 1.0


def _net(w):
    K, N = w.shape
    return NetState(syn=jnp.asarray(w, jnp.float32), theta=jnp.zeros(K), spikes=jnp.zeros(K, jnp.int32),
                    frozen=jnp.zeros((K, N), bool), matured=jnp.zeros(K, bool), writes=jnp.int32(0),
                    saved=jnp.int32(0))


def test_stdp_window_in_the_time_stepped_simulation():
    """One post spike at t = 20 ms; pre spikes 10 ms before (LTP), 11 ms before (LTD), 20 ms before (LTD),
    5 ms after (LTD) and 0 ms before (same step: LTP); the bias input is always on (LTP)."""
    cfg = STDPConfig(neurons=1, n_pixels=None, eta=ETA, ltd=LTD)
    T, n_in = 30, 5
    spk = np.zeros((T, n_in), bool)
    for i, t in enumerate((10, 9, 0, 25, 20)):
        spk[t, i] = True
    fire = np.zeros(T, bool)
    fire[20] = True
    w0 = np.array([[0.2, 0.2, -0.3, 0.5, -0.9, 0.0]], np.float32)
    step = _step_factory(cfg, digital_synapses(), n_in)
    since = jnp.full((n_in,), 1 << 20, jnp.int32)
    (net, _), _ = jax.lax.scan(step, (_net(w0), since), (jnp.asarray(spk), jnp.asarray(fire),
                                                         jax.random.split(jax.random.PRNGKey(0), T)))
    dw = np.asarray(net.syn)[0] - w0[0]
    pot = np.array([True, False, False, False, True, True])
    expect = np.where(pot, ETA * np.expm1(1.0 - w0[0]), -ETA * LTD)
    np.testing.assert_allclose(dw, expect, rtol=1e-5, atol=1e-6)
    assert (dw[pot] > 0).all() and (dw[~pot] < 0).all()
    assert int(net.spikes[0]) == 1 and int(net.writes) == 6


def test_pair_rule_window_and_weight_dependence_closed_form():
    cfg = STDPConfig(eta=ETA, ltd=LTD)
    w = np.linspace(-1, 1, 21, dtype=np.float32)
    for dt_ms in (0, 3, 10):  # post follows pre within 10 ms: potentiation eta (e^{1 - w} - 1)
        np.testing.assert_allclose(pair_dw(w, 0.0, dt_ms * 1e-3, cfg), ETA * np.expm1(1.0 - w), rtol=1e-5)
    for dt_ms in (11, 40, -1, -5):  # too late, or post before pre: constant depression
        np.testing.assert_allclose(pair_dw(w, 0.0, dt_ms * 1e-3, cfg), -ETA * LTD)
    ltp = np.asarray(stdp_dw(w, True, eta=ETA, ltd=LTD, w_max=1.0))
    assert np.all(np.diff(ltp) < 0) and ltp[-1] == 0.0  # decays with the weight, vanishes at w_max
    np.testing.assert_allclose(ltp[:-2] / ltp[1:-1], np.expm1(1 - w[:-2]) / np.expm1(1 - w[1:-1]), rtol=1e-4)
    # Nessler's fixed point: in-window at a fraction p of the post spikes -> w* = w_max + ln p
    for p in (0.2, 0.5, 0.9):
        ws = 1.0 + np.log(p)
        drift = p * stdp_dw(ws, True, eta=ETA, ltd=LTD, w_max=1.0) + (1 - p) * stdp_dw(ws, False, eta=ETA,
                                                                                       ltd=LTD, w_max=1.0)
        assert abs(float(drift)) < 1e-6


def test_repeated_updates_follow_the_closed_form_and_stay_bounded():
    """One neuron, an always-on pixel (intensity so high that p rounds to 1), a silent pixel and the bias:
    after S output spikes, w_on = iterate LTP S times, w_off = w0 - S eta (clipped at -1)."""
    cfg = STDPConfig(neurons=1, n_pixels=None, eta=ETA, eta_final=None, rate_max=1000.0, out_rate=200.0)
    chunk = make_train_chunk(cfg, digital_synapses(), 2)
    w0 = np.array([[-1.0, 0.4, -0.5]], np.float32)
    x = np.tile(np.array([[40.0, 0.0]], np.float32), (4, 1))
    net = chunk(_net(w0), jnp.asarray(x), jax.random.PRNGKey(3), jnp.ones(4, bool))
    S = int(net.spikes[0])
    assert S > 10
    w_on, w_b = -1.0, -0.5
    for _ in range(S):
        w_on = min(1.0, w_on + ETA * np.expm1(1.0 - w_on))
        w_b = min(1.0, w_b + ETA * np.expm1(1.0 - w_b))
    w = np.asarray(net.syn)[0]
    np.testing.assert_allclose(w, [w_on, max(-1.0, 0.4 - S * ETA), w_b], rtol=1e-4, atol=1e-5)
    assert -1.0 <= w.min() and w.max() <= 1.0


def test_poisson_rates_match_intensity():
    intensity = jnp.array([0.0, 0.1, 0.25, 0.5, 1.0])
    rate_max, dt, T = 100.0, 1e-3, 40_000
    counts = np.asarray(poisson_spikes(jax.random.PRNGKey(1), intensity, T, rate_max, dt).sum(axis=0))
    p = np.asarray(poisson_probability(intensity, rate_max, dt))
    exact = 1 - np.exp(-rate_max * np.asarray(intensity, dtype=np.float64) * dt)  # float64 reference
    np.testing.assert_allclose(p, exact, rtol=1e-6)
    sigma = np.sqrt(T * p * (1 - p)) + 1e-9
    assert np.all(np.abs(counts - T * p) < 4.5 * sigma), (counts, T * p)
    rate = -np.log1p(-counts / T) / dt  # estimated Poisson rate
    np.testing.assert_allclose(rate[1:], rate_max * np.asarray(intensity)[1:], rtol=0.06)
    assert counts[0] == 0


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_small_digits_run_learns(digits):
    """100 neurons, 3 epochs on the 1437 training digits (8x8, all 64 pixels), homeostasis rate 2 (the small set
    wants a weaker one than the MNIST default 5): >= 75 % with the default (likelihood) readout (measured 0.836;
    seeds 1 and 2: 0.816, 0.825; the mean readout 0.802, 0.788, 0.808)."""
    cfg = STDPConfig(neurons=100, epochs=3, n_pixels=None, eta_theta=2.0, seed=0)
    r = train_stdp(cfg, digits.x_train, digits.y_train, digits.x_test, digits.y_test)
    assert r.accuracy >= 0.75, r.accuracy
    assert r.accuracy == r.accuracies["likelihood"] and set(r.accuracies) == {"mean", "proportion", "likelihood"}
    assert -1.0 <= r.weights.min() and r.weights.max() <= 1.0
    assert r.writes == 65 * int(r.spikes.sum()) and r.writes_saved == 0 and r.pruned_fraction == 0.0
    assert len(set(r.labels[r.labels >= 0])) == 10  # every class got neurons


@pytest.mark.parametrize("mode, value, ramp", [("soft", -1.0, 0), ("hard", 0.0, 0), ("soft", -1.0, 100)])
def test_pruned_weights_are_frozen_at_their_constant(digits, mode, value, ramp):
    cfg = STDPConfig(neurons=20, epochs=1, n_pixels=None, prune=mode, prune_fraction=0.5, mature_spikes=15,
                     chunk=50, eval_batch=100, assign_images=200, soft_value=-1.0, prune_ramp=ramp)
    snaps = []
    r = train_stdp(cfg, digits.x_train[:300], digits.y_train[:300], digits.x_test[:100], digits.y_test[:100],
                   on_chunk=lambda done, net: snaps.append((np.asarray(net.frozen), np.asarray(net.syn))))
    assert r.matured.sum() >= 10
    first = None
    for frozen, w in snaps:
        assert np.all(w[frozen] == np.float32(value))  # equal the constant...
        if first is not None:
            f0, w0 = first
            assert np.all(frozen[f0]) and np.array_equal(w[f0], w0[f0])  # ...and never change after freezing
        first = (frozen, w)
    n_prunable = r.weights.shape[1] - 1
    assert r.frozen[:, -1].sum() == 0  # the bias is never pruned
    # a matured row holds the count its schedule makes due by its last spike (all 32 at once when ramp = 0)
    due = np.asarray(pruned_due(32, r.spikes - 15 + 1, ramp))
    np.testing.assert_array_equal(r.frozen[:, :-1].sum(axis=1), np.where(r.matured, due, 0))
    if ramp == 0:
        assert r.pruned_fraction == pytest.approx(0.5 * r.matured.mean())
    else:
        assert 0 < r.pruned_fraction < 0.5 * r.matured.mean()  # ~75 spikes a neuron: rows still inside their ramp
    # every STDP update of a row writes its unfrozen synapses; pruning writes each pruned synapse once
    n_pruned = int(r.frozen.sum())
    assert r.writes_saved > 0
    assert r.writes + r.writes_saved == (n_prunable + 1) * int(r.spikes.sum()) + n_pruned


def test_prune_row_threshold_is_the_quantile():
    w = jnp.array([0.3, -0.2, 0.9, -0.8, 0.0, 0.5, 0.7])  # last entry: bias, never pruned
    mask = np.asarray(prune_row(w, n_pruned(0.5, 6), 6))
    np.testing.assert_array_equal(mask, [False, True, False, True, True, False, False])


@pytest.mark.parametrize("kwargs, match", [
    (dict(prune="soft", prune_fraction=-0.1), "prune_fraction must be in \\[0, 1\\)"),
    (dict(prune="soft", prune_fraction=1.0), "prune_fraction must be in \\[0, 1\\)"),
    (dict(neurons=0), "neurons must be a positive integer"),
    (dict(prune="soft", prune_fraction=0.0), "needs prune_fraction > 0"),
    (dict(prune="sometimes", prune_fraction=0.5), "prune must be one of none, soft, hard"),
    (dict(prune="soft", prune_fraction=0.5, soft_value=0.0), "soft_value must be non-zero"),
    (dict(rate_max=2000.0), "rate_max x dt must be <= 1"),
    (dict(prune="soft", prune_fraction=0.5, prune_ramp=-1), "prune_ramp must be an integer >= 0"),
])
def test_bad_inputs_give_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        STDPConfig(**kwargs)


def test_cbram_synapses_through_the_controller(digits):
    """Synapses in the cbram memory: pulses counted by the device, soft-pruned devices frozen at the bottom level."""
    from photrain.controller import build_controller
    from photrain.train.spiking_run import controller_synapses, stdp_ledger

    ctrl = build_controller(memory="cbram")
    cfg = STDPConfig(neurons=10, epochs=1, n_pixels=None, prune="soft", prune_fraction=0.5, mature_spikes=15,
                     chunk=50, eval_batch=100, assign_images=100)
    snaps = []
    r = train_stdp(cfg, digits.x_train[:200], digits.y_train[:200], digits.x_test[:100], digits.y_test[:100],
                   synapses=controller_synapses(ctrl),
                   on_chunk=lambda done, net: snaps.append((np.asarray(net.frozen), np.asarray(net.syn.mem.level))))
    pulses = r.device_counts["memory_pulses"]
    assert 0 < pulses < r.writes  # stochastic few-level switching: most requested changes move no level
    assert r.matured.sum() >= 5
    for (f0, l0), (_, l1) in zip(snaps, snaps[1:], strict=False):
        assert np.all(l0[f0] == 0) and np.array_equal(l1[f0], l0[f0])  # at level 0 (w = -1), never written again
    led = stdp_ledger(ctrl, r, r.device_counts)
    assert led.memory_pulses == pulses and led.steps == int(r.spikes.sum()) and led.memory_writes == 0


@pytest.mark.parametrize("argv, match", [
    (["--prune", "soft", "--prune-fraction", "-0.25"], "prune_fraction must be in [0, 1)"),
    (["--prune", "hard", "--prune-fraction", "1"], "prune_fraction must be in [0, 1)"),
    (["--neurons", "0"], "neurons must be a positive integer"),
    (["--prune", "soft", "--prune-fraction", "0.5", "--prune-ramp", "-3"], "prune_ramp must be an integer >= 0"),
    (["--readout", "vote"], "readout must be one of mean, proportion, likelihood"),
])
def test_cli_stdp_bad_inputs_exit_2_with_one_line(argv, match, capsys):
    from photrain.cli import main

    rc = main(["train", "--algorithm", "stdp", "--dataset", "digits", "--quiet", "--out", "/nonexistent/x", *argv])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and match in err and len(err.splitlines()) == 1


def test_integration_on_the_mrr_bank_matches_the_digital_sum():
    """Optics option: on/off spikes on the WDM channels, sum_i w_ki x_i from an ideal MRR weight bank."""
    from photrain.controller import OpticalConfig, build_controller
    from photrain.train.spiking_run import controller_synapses

    ctrl = build_controller(core="bank", optical=OpticalConfig(core_rows=16, ideal=True))
    syn = controller_synapses(ctrl)
    w = np.asarray(jax.random.uniform(jax.random.PRNGKey(0), (12, 25), minval=-1, maxval=1))
    x = np.asarray(jax.random.bernoulli(jax.random.PRNGKey(1), 0.4, (3, 25)), np.float32)
    state = syn.init(jnp.asarray(w), jax.random.PRNGKey(2))
    got = np.asarray(syn.integrate(state, jnp.asarray(x), jax.random.PRNGKey(3)))
    np.testing.assert_allclose(got, x @ w.T, atol=0.05 * np.abs(x @ w.T).max())
    one = np.asarray(syn.integrate(state, jnp.asarray(x[0]), jax.random.PRNGKey(3)))
    assert one.shape == (12,)


def test_synapses_are_the_controllers_and_train_does_not_reach_past_it():
    """The synapse array is built by the controller (DESIGN: train/ never touches a core or a memory); a crossbar
    (computing from conductances, blind to disconnected synapses) is refused with a clear error."""
    import inspect
    import pkgutil

    from photrain.controller import build_controller
    from photrain.controller.synapses import MemorySynapses
    from photrain.train import spiking, spiking_run

    modules = [spiking_run, spiking] + [__import__(f"photrain.train.spiking.{m.name}", fromlist=["_"])
                                        for m in pkgutil.iter_modules(spiking.__path__)]
    assert len(modules) >= 8  # every room of the spiking package is read, not only its __init__
    for mod in modules:
        src = inspect.getsource(mod)
        assert ".memory." not in src and ".core." not in src and "ctrl.memory" not in src and "ctrl.core" not in src
    with pytest.raises(ValueError, match="'digital' or 'bank' core; got 'crossbar'"):
        build_controller(memory="rram", core="crossbar").synapse_array()
    with pytest.raises(ValueError, match="program_pulses must be >= 1"):
        build_controller(memory="cbram").synapse_array(program_pulses=0)
    ctrl = build_controller(memory="cbram", core="bank")
    arr = ctrl.synapse_array()
    state = arr.init(jnp.zeros((3, 5)), jax.random.PRNGKey(0))
    assert isinstance(state, MemorySynapses)
    # hard pruning disconnects: the read and the integration see 0 whatever level the device holds
    cut = arr.program(state, jnp.array([[True, False, False, False, False]] * 3), 0.0, jax.random.PRNGKey(1))
    assert np.all(np.asarray(arr.read(cut))[:, 0] == 0.0) and bool(cut.cut[:, 0].all())
    led = ctrl.spike_ledger((3, 5), 7)  # 7 spikes: row reads + re-programming reads of the whole array
    assert led.steps == 7 and led.memory_reads == 7 * 5 + 7 * 3 * 5 and led.programmings > 0


def test_learning_rate_annealing_is_geometric_from_eta_to_eta_final():
    cfg = STDPConfig(eta=0.1, eta_final=0.01)
    etas = eta_schedule(cfg, np.arange(11), 11)
    np.testing.assert_allclose(etas[[0, -1]], [0.1, 0.01], rtol=1e-6)
    np.testing.assert_allclose(etas[1:] / etas[:-1], 0.1 ** 0.1, rtol=1e-5)  # constant ratio (0.01/0.1)^(1/10)
    np.testing.assert_allclose(eta_schedule(STDPConfig(eta=0.1, eta_final=None), np.arange(5), 5), 0.1)
    with pytest.raises(ValueError, match="eta_final must be in \\(0, eta"):
        STDPConfig(eta=0.1, eta_final=0.2)


def test_feedforward_inhibition_reads_weights_relative_to_their_mean():
    """normalise: u_k = sum_i (x_i - xbar) w_ki + w_k,bias - theta_k (closed form); off: x . w_k - theta_k."""
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (4, 7)).astype(np.float32)
    x = np.concatenate([rng.random(6) < 0.5, [True]]).astype(np.float32)
    theta = rng.normal(size=4).astype(np.float32)
    syn = digital_synapses()
    wsum = input_weight_sums(syn, jnp.asarray(w), 6)
    np.testing.assert_allclose(wsum, w[:, :6].sum(1), rtol=1e-6)
    for on in (True, False):
        u = membrane_potential(STDPConfig(normalise=on), syn, jnp.asarray(w), jnp.asarray(x), jnp.asarray(theta),
                               None, wsum)
        xi = x[:6] - (x[:6].mean() if on else 0.0)
        np.testing.assert_allclose(u, w[:, :6] @ xi + w[:, 6] - theta, rtol=1e-5, atol=1e-5)


def test_running_weight_sums_stay_equal_to_the_weights_through_stdp_and_pruning(digits):
    cfg = STDPConfig(neurons=8, n_pixels=None, prune="soft", prune_fraction=0.5, mature_spikes=5)
    syn = digital_synapses()
    w0 = np.asarray(jax.random.uniform(jax.random.PRNGKey(0), (8, 65), minval=-1, maxval=1))
    net = _net(w0)._replace(wsum=input_weight_sums(syn, jnp.asarray(w0), 64))
    net = make_train_chunk(cfg, syn, 64)(net, jnp.asarray(digits.x_train[:40]), jax.random.PRNGKey(1),
                                         jnp.ones(40, bool))
    assert int(net.spikes.sum()) > 50 and bool(net.matured.any())
    np.testing.assert_allclose(net.wsum, np.asarray(net.syn)[:, :64].sum(1), atol=1e-3)


def test_gradual_pruning_schedule_is_cubic():
    """Zhu & Gupta (2017): n(s) = floor(n_f (1 - (1 - s / ramp)^3)) synapses frozen s spikes into the ramp; all n_f
    at once when ramp = 0."""
    s = np.arange(15)
    got = np.asarray(pruned_due(100, s, 10))
    np.testing.assert_array_equal(got, np.floor(100 * (1 - (1 - np.clip(s / 10, 0, 1)) ** 3) + 1e-4))
    assert (got[1], got[5], got[10], got[14]) == (27, 87, 100, 100) and np.all(np.diff(got) >= 0)
    assert int(pruned_due(100, 1, 0)) == 100 and int(pruned_due(100, 0, 10)) == 0


def test_gradual_pruning_freezes_the_lowest_weights_spike_by_spike():
    """One neuron, 8 inputs, half to be pruned over a 2-spike ramp after maturing at its first spike: no input spikes,
    so STDP depresses every input synapse by the same eta (order kept). Spike 1 freezes the 3 lowest
    (floor(4 x 7/8)) at -1, spike 2 the 4th lowest; frozen synapses are not written again."""
    cfg = STDPConfig(neurons=1, n_pixels=None, eta=ETA, prune="soft", prune_fraction=0.5, mature_spikes=1,
                     prune_ramp=2)
    w0 = np.array([[0.5, -0.2, 0.9, -0.6, 0.1, 0.3, -0.4, 0.7, 0.0]], np.float32)
    T, n_in = 5, 8
    fire = np.zeros(T, bool)
    fire[[1, 3]] = True
    step = _step_factory(cfg, digital_synapses(), n_in)
    since = jnp.full((n_in,), 1 << 20, jnp.int32)
    (net, _), _ = jax.lax.scan(step, (_net(w0), since), (jnp.zeros((T, n_in), bool), jnp.asarray(fire),
                                                         jax.random.split(jax.random.PRNGKey(0), T)))
    w, frozen = np.asarray(net.syn)[0], np.asarray(net.frozen)[0]
    np.testing.assert_array_equal(np.flatnonzero(frozen), [1, 3, 4, 6])  # -0.2, -0.6, 0.1, -0.4: the 4 lowest
    assert np.all(w[frozen] == -1.0)
    # unfrozen inputs: two depressions; index 4 was depressed once more before it froze (no effect: it is -1 now)
    np.testing.assert_allclose(w[[0, 2, 5, 7]], w0[0, [0, 2, 5, 7]] - 2 * ETA * LTD, rtol=1e-6)
    # writes: spike 1 writes all 9 synapses then prunes 3; spike 2 writes the 6 unfrozen then prunes 1
    assert int(net.writes) == 9 + 3 + 6 + 1 and int(net.saved) == 3


def _readout_case():
    """Two classes, three neurons: neuron 0 fires only for class 0, neuron 1 for both (6 vs 5 spikes per image),
    neuron 2 only for class 1; 100 assignment images of each class."""
    from photrain.train.spiking import LabelStats

    return LabelStats(rates=np.array([[10.0, 0.0], [6.0, 5.0], [0.0, 4.0]]), images=np.array([100, 100]))


def test_proportion_readout_weights_each_assigned_neuron_by_its_class_share():
    """Counts (2, 8, 4): the mean readout (Diehl & Cook) scores class 0 (2 + 8) / 2 = 5 > 4; proportion weighting
    (BindsNET) scores class 0 (2 x 1 + 8 x 6/11) / 2 = 3.18 < 4 x 1, so the unselective neuron 1 counts less."""
    from photrain.train.spiking import classify

    stats = _readout_case()
    np.testing.assert_array_equal(stats.assigned, [0, 0, 1])
    counts = np.array([[2.0, 8.0, 4.0], [8.0, 2.0, 4.0]])
    assert list(classify(counts, stats.assigned, 2)) == [0, 0]
    assert list(classify(counts, stats.assigned, 2, readout="proportion", stats=stats)) == [1, 0]
    rng = np.random.default_rng(0)  # against the closed form on random responses
    rates = rng.gamma(1.0, 2.0, (30, 4))
    stats = stats._replace(rates=rates, images=np.full(4, 50))
    counts = rng.poisson(2.0, (200, 30)).astype(float)
    p = rates / rates.sum(axis=1, keepdims=True)
    a = rates.argmax(axis=1)
    score = np.stack([(counts[:, a == c] * p[a == c, c]).sum(axis=1) / max((a == c).sum(), 1) if (a == c).any()
                      else np.full(len(counts), -1.0) for c in range(4)], axis=1)
    np.testing.assert_array_equal(classify(counts, a, 4, readout="proportion", stats=stats), score.argmax(axis=1))


def test_likelihood_readout_is_the_bayes_decoder_of_wta_spikes():
    """Images whose WTA spikes are draws from p(k | c): the likelihood readout equals the closed form
    argmax_c log P(c) + sum_k n_k log p(k | c) (add-one smoothed) and, being Bayes-optimal for that model, is more
    accurate than the assigned-label readouts on many such images."""
    from photrain.train.spiking import classify, label_stats

    rng = np.random.default_rng(1)
    K, C, spikes = 40, 5, 8
    p_kc = rng.dirichlet(np.full(K, 0.3), size=C).T  # (K, C): overlapping, unselective neurons
    y_a, y_t = rng.integers(0, C, 4000), rng.integers(0, C, 4000)
    draw = lambda y: np.stack([rng.multinomial(spikes, p_kc[:, c]) for c in y]).astype(float)  # noqa: E731
    stats = label_stats(draw(y_a), y_a, C)
    counts = draw(y_t)
    totals = stats.rates * stats.images
    log_p = np.log((totals + 1) / (totals.sum(axis=0) + K))
    expect = (counts @ log_p + np.log(stats.images / stats.images.sum())).argmax(axis=1)
    got = classify(counts, stats.assigned, C, readout="likelihood", stats=stats)
    np.testing.assert_array_equal(got, expect)
    acc = {r: np.mean(classify(counts, stats.assigned, C, readout=r, stats=stats) == y_t)
           for r in ("mean", "proportion", "likelihood")}
    assert acc["likelihood"] > acc["proportion"] + 0.02 and acc["likelihood"] > acc["mean"] + 0.02, acc


def test_readout_bad_inputs():
    from photrain.train.spiking import classify

    stats = _readout_case()
    with pytest.raises(ValueError, match="readout must be one of mean, proportion, likelihood"):
        STDPConfig(readout="vote")
    with pytest.raises(ValueError, match="readout must be one of"):
        classify(np.ones((1, 3)), stats.assigned, 2, readout="vote", stats=stats)
    with pytest.raises(ValueError, match="needs the label statistics"):
        classify(np.ones((1, 3)), stats.assigned, 2, readout="proportion")


def test_run_stdp_holdout_scores_on_the_last_training_images(monkeypatch):
    """holdout = N: train and assign on all but the last N training images, score on those N (never the test set)."""
    from photrain.train import spiking_run
    from photrain.train.data import load_dataset

    data, seen = load_dataset("digits"), {}

    class Stop(Exception):
        pass

    def capture(cfg, xtr, ytr, xte, yte, **kw):
        seen.update(xtr=xtr, ytr=ytr, xte=xte, yte=yte)
        raise Stop

    monkeypatch.setattr(spiking_run, "train_stdp", capture)
    with pytest.raises(Stop):
        spiking_run.run_stdp(STDPConfig(neurons=10, epochs=1), dataset="digits", holdout=300, test_images=200)
    np.testing.assert_array_equal(seen["xtr"], data.x_train[:-300])
    np.testing.assert_array_equal(seen["xte"], data.x_train[-300:-100])  # test_images caps the split
    np.testing.assert_array_equal(seen["yte"], data.y_train[-300:-100])
    with pytest.raises(ValueError, match="holdout must be in"):
        spiking_run.run_stdp(STDPConfig(neurons=10, epochs=1), dataset="digits", holdout=len(data.x_train))
