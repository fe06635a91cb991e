"""Redheffer star product of the ring-bus solver (circuits.bank_solver): identity, associativity, a lossless mirror pair."""

import numpy as np

from photrain.circuits.bank_solver import bank_response, star
from photrain.cores import bank_response as cores_bank_response


def _section(rng):
    return tuple(rng.normal(size=3) * 0.4 + 1j * rng.normal(size=3) * 0.4 for _ in range(4))


def test_star_identity_and_associativity():
    rng = np.random.default_rng(0)
    a, b, c = _section(rng), _section(rng), _section(rng)
    one = (np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    for x, y in zip(star(one, a), a, strict=True):
        np.testing.assert_allclose(x, y, atol=1e-14)
    for x, y in zip(star(a, one), a, strict=True):
        np.testing.assert_allclose(x, y, atol=1e-14)
    for x, y in zip(star(star(a, b), c), star(a, star(b, c)), strict=True):
        np.testing.assert_allclose(x, y, atol=1e-12)


def test_star_two_mirrors_is_fabry_perot():
    # two lossless mirrors (a rotation [[t, -r], [r, t]], t = sqrt(1 - r^2)), zero gap phase:
    # Airy transmission T = t1 t2 / (1 + r1 r2), and |T|^2 + |R|^2 = 1 (energy conserved)
    r1, r2 = 0.6, 0.3
    t1, t2 = np.sqrt(1 - r1**2), np.sqrt(1 - r2**2)
    s = star((t1, -r1, r1, t1), (t2, -r2, r2, t2))
    np.testing.assert_allclose(s[0], t1 * t2 / (1 + r1 * r2), rtol=1e-14)
    np.testing.assert_allclose(abs(s[0]) ** 2 + abs(s[2]) ** 2, 1.0, rtol=1e-14)


def test_cores_use_the_circuits_solver():
    assert cores_bank_response is bank_response
