"""The mesh's structured solver and netlist twin in the circuits layer, and the one phase quantiser."""

import jax.numpy as jnp
import numpy as np
import pytest

from photrain.circuits import circuit
from photrain.circuits.mesh_solver import mesh_grid, mesh_netlist, mesh_transfer
from photrain.cores import MZIMesh, haar_unitary
from photrain.models.converters import quantize, quantize_phase

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True


def test_quantize_phase_wraps_at_two_pi_and_uses_every_code():
    bits = 3
    lsb = 2 * np.pi / 2**bits
    x = np.linspace(-4 * np.pi, 4 * np.pi, 20001)
    q = np.asarray(quantize_phase(x, bits=bits))
    assert q.min() >= 0 and q.max() < 2 * np.pi
    assert len(np.unique(np.round(q / lsb))) == 2**bits  # 8 distinct phases, none spent on 2 pi (== 0)
    err = np.angle(np.exp(1j * (q - x)))  # error around the circle
    assert np.abs(err).max() <= lsb / 2 + 1e-12
    assert float(quantize_phase(2 * np.pi - lsb / 4, bits=bits)) == 0.0  # rounds up to 2 pi, which is code 0
    assert float(quantize_phase(-lsb / 4, bits=bits)) == 0.0
    assert float(quantize_phase(np.pi, bits=bits)) == pytest.approx(np.pi)
    # the amplitude quantiser over [0, 2 pi] would spend a code on 2 pi and use a coarser LSB
    q_amp = np.asarray(quantize(np.mod(x, 2 * np.pi), bits=bits, full_scale=2 * np.pi, signed=False))
    assert len(np.unique(np.round(np.mod(q_amp, 2 * np.pi), 9))) == 2**bits - 1
    with pytest.raises(ValueError, match="bits"):
        quantize_phase(1.0, bits=0)


def test_mesh_heater_dac_is_quantize_phase():
    mesh = MZIMesh(4, phase_bits=5)
    x = jnp.linspace(-7.0, 7.0, 101)
    np.testing.assert_array_equal(np.asarray(mesh._drive(x)), np.asarray(quantize_phase(x, bits=5)))


@pytest.mark.parametrize("n, n_columns", [(5, 5), (4, 5)])
def test_circuits_netlist_from_plain_arrays_equals_column_scan(n, n_columns):
    """The circuits-layer solver and netlist take plain phase arrays (no core object); odd n and Reck's odd
    column count included."""
    c, p = mesh_grid(n, n_columns)
    rng = np.random.default_rng(n)
    theta, phi = rng.uniform(0, 2 * np.pi, (2, c, p))
    active = np.ones((c, p), bool)
    active[n_columns:] = False  # the padding column holds nothing
    k1, k2 = rng.uniform(0.45, 0.55, (2, c, p))
    out = rng.uniform(0, 2 * np.pi, n)
    kw = dict(mzi_loss_db=0.1, column_length=30.0, loss_db_per_cm=2.0)
    wl = np.array([1.545, 1.56])
    t = np.asarray(mesh_transfer(jnp.asarray(theta), jnp.asarray(phi), jnp.asarray(active), jnp.asarray(out),
                                 jnp.asarray(k1), jnp.asarray(k2), wl, n=n, n_columns=n_columns, **kw))
    net = mesh_netlist(theta, phi, active, out, k1, k2, n=n, n_columns=n_columns, **kw)
    assert not any(name.startswith(f"wg_{n_columns}_") for name in net["instances"])  # no padded column drawn
    s = circuit(net)(wl=wl)
    t_sax = np.stack([np.stack([np.asarray(s[(f"in{j}", f"out{i}")]) for j in range(n)], -1) for i in range(n)], -2)
    np.testing.assert_allclose(t, t_sax, atol=1e-12)


def test_cores_keep_the_old_import_names():
    import photrain.cores as cores
    from photrain.circuits import mesh_solver

    assert cores.mesh_transfer is mesh_solver.mesh_transfer
    mesh = MZIMesh(3)
    settings = mesh.program_unitary(haar_unitary(3, np.random.default_rng(1)))
    assert set(cores.mesh_netlist(mesh, settings)["ports"]) == {"in0", "in1", "in2", "out0", "out1", "out2"}
