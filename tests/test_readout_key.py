"""Readout(noise=True) and CrossbarReadout(noise=True) never skip their noise silently: a product without a key
raises (issue 13, part 8)."""

import jax
import numpy as np
import pytest

from photrain.cores import IDEAL, CrossbarCore, CrossbarReadout, MRRWeightBank, MZIMesh, Readout

NOISY = Readout(power_per_channel=1e-5)  # no converters: the bank's exact fast path is what skipped the noise


@pytest.fixture(scope="module")
def wx():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (4, 4)), rng.uniform(-1, 1, (8, 4))


@pytest.mark.parametrize("make", [lambda ro: MRRWeightBank(4, 4, readout=ro, crosstalk=False),
                                  lambda ro: MZIMesh(4, readout=ro)], ids=["bank", "mesh"])
def test_noisy_readout_without_key_raises_and_names_the_fix(make, wx):
    w, x = wx
    core = make(NOISY)
    s = core.program(w)
    with pytest.raises(ValueError, match=r"noise=True.*need a key.*PRNGKey.*Readout\(noise=False\)"):
        core.matvec(x, s)
    noisy = np.asarray(core.matvec(x, s, jax.random.PRNGKey(0)))
    quiet = make(IDEAL)
    mean = np.asarray(quiet.matvec(x, quiet.program(w)))  # noise=False: the noiseless mean, no key needed
    np.testing.assert_allclose(mean, x @ w.T, atol=5e-6)  # float32 (JAX default): ~20 ulp
    assert np.std(noisy - mean) > 1e-3  # the key's noise is there (1e-5 W per channel)


def test_readout_methods_raise_without_key_only_when_noisy():
    current, power = np.ones(3), np.full(3, 1e-3)
    with pytest.raises(ValueError, match="key"):
        NOISY.detect(current, power, None)
    with pytest.raises(ValueError, match="key"):
        Readout(rin_db_hz=-150.0).rin(power, None)
    assert NOISY.noisy(jax.random.PRNGKey(0)) and not IDEAL.noisy(None)
    np.testing.assert_array_equal(IDEAL.detect(current, power, None), current)


def test_noisy_crossbar_without_key_raises_and_names_the_fix(wx):
    w, x = wx
    core = CrossbarCore(4, 4)  # read and TIA noise on by default
    s = core.program(w)
    for product in (core.matvec, core.matvec_t):
        with pytest.raises(ValueError, match=r"noise=True.*need a key.*PRNGKey.*CrossbarReadout\(noise=False\)"):
            product(x, s)
    noisy = np.asarray(core.matvec(x, s, jax.random.PRNGKey(0)))
    quiet = CrossbarCore(4, 4, readout=CrossbarReadout(noise=False))
    mean = np.asarray(quiet.matvec(x, quiet.program(w)))
    np.testing.assert_allclose(mean, x @ w.T, atol=1e-5)
    assert np.std(noisy - mean) > 1e-4  # the key's read noise (1 % of each conductance) is there
    no_sources = CrossbarCore(4, 4, read_noise=0.0, readout=CrossbarReadout(tia_noise=False))
    np.testing.assert_allclose(no_sources.matvec(x, no_sources.program(w)), mean, atol=1e-6)  # nothing to draw
