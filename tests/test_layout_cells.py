"""Layout cells of the cores: GDS export, DRC-clean, and extracted netlist == the core's structured model."""

import jax.numpy as jnp
import numpy as np
import pytest

from photrain.cores import MRRWeightBank, MZIMesh, haar_unitary
from photrain.layout import component_circuit, optical_netlist
from photrain.layout.cells import (
    bank_detuning_at_channels,
    bank_instance_settings,
    clements_mesh,
    mesh_bypass,
    mesh_column_x,
    mesh_instance_settings,
    weight_bank,
    weight_bank_geometry,
)
from photrain.layout.geometry import half_coupling_length, mesh_column_length
from photrain.models.couplers import coupling_from_gap
from photrain.models.optics import LOSS_DB_PER_CM, NEFF, NG, WL0, propagation

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True

OPTICS = dict(neff=NEFF, ng=NG, wl0=WL0, loss_db_per_cm=LOSS_DB_PER_CM)


def _count(netlist, component):
    return sum(1 for inst in netlist["instances"].values() if inst["component"] == component)


def _gds_cells(path):
    import gdsfactory as gf

    return gf.import_gds(path)


@pytest.mark.parametrize("n", [3])
def test_weight_bank_layout_simulates_to_the_bank_model(n, tmp_path):
    geo = weight_bank_geometry(n, radius=5.0, gap=0.2, pitch=30.0)
    cell = weight_bank(n, radius=5.0, gap=0.2, pitch=30.0)
    gds = cell.write_gds(tmp_path / "bank.gds")
    assert gds.stat().st_size > 1000
    netlist = optical_netlist(cell)
    assert _count(netlist, "bank_ring") == n
    assert sorted(netlist["ports"]) == ["o1", "o2", "o3", "o4"]
    assert sum(1 for p in cell.ports if p.port_type == "electrical") == 2 * n
    bank = MRRWeightBank(n, 1, ring_lengths=geo["ring_lengths"], coupling=geo["coupling"], pitch=geo["bus_pitch"],
                         max_detuning=1.0)
    heater = np.random.default_rng(n).uniform(0, 0.3, n)  # rad at wl0
    # on every channel and 0.5 nm beside it: the rings' tails and the drop-bus paths are in both models
    wl = np.sort(np.concatenate([np.asarray(bank.channels), np.asarray(bank.channels) + 0.0005]))
    s = component_circuit(cell)(wl=wl, **bank_instance_settings(heater))
    for grid in (wl[::2], wl[1::2]):  # the bank model evaluates at its channel grid: probe it on and off the channels
        bank.channels = jnp.asarray(grid)
        drop, thru = bank.response(bank_detuning_at_channels(heater, grid)[None, :])
        idx = np.searchsorted(wl, grid)
        port_drop = propagation(grid, length=geo["port_lengths"]["drop"], **OPTICS)
        port_thru = propagation(grid, length=geo["port_lengths"]["through"], **OPTICS)
        np.testing.assert_allclose(s["o1", "o3"][idx], drop[0] * port_drop, atol=1e-10)
        np.testing.assert_allclose(s["o1", "o2"][idx], thru[0] * port_thru, atol=1e-10)


def test_weight_bank_geometry_errors():
    with pytest.raises(ValueError, match="pitch"):
        weight_bank_geometry(4, pitch=5.0)
    with pytest.raises(ValueError, match="n_channels"):
        weight_bank_geometry(0)


@pytest.mark.parametrize("n", [4, 5, 6])
def test_clements_mesh_layout_simulates_to_the_mesh_model(n, tmp_path):
    """Even and odd n: the drawn mesh is the core's mesh (for odd n the solver's padded grid column is not drawn,
    as the solver gives it no waveguide; a drawn one would add one column of propagation to every mode)."""
    cell = clements_mesh(n)
    gds = cell.write_gds(tmp_path / "mesh.gds")
    assert gds.stat().st_size > 1000
    netlist = optical_netlist(cell)
    assert _count(netlist, "mesh_mzi") == n * (n - 1) // 2
    assert _count(netlist, "mesh_bypass") == n * n - n * (n - 1)  # idle modes of n columns, none of a padded one
    assert not any(name.startswith(f"wg_{n}_") for name in netlist["instances"])
    assert cell.dbbox().width() == pytest.approx(n * mesh_column_x() + 50.0, abs=0.01)  # n columns + output heaters
    assert sorted(netlist["ports"]) == sorted([f"in{m}" for m in range(n)] + [f"out{m}" for m in range(n)])
    # port order = mode order: mode m sits at y = m x pitch on both sides
    ys_in = [cell.ports[f"in{m}"].center[1] for m in range(n)]
    ys_out = [cell.ports[f"out{m}"].center[1] for m in range(n)]
    np.testing.assert_allclose(ys_in, 15.0 * np.arange(n))
    np.testing.assert_allclose(ys_out, 15.0 * np.arange(n))
    mesh = MZIMesh(n, column_length=mesh_column_length(), loss_db_per_cm=LOSS_DB_PER_CM)
    k = float(coupling_from_gap(0.2, half_coupling_length(0.2)))  # the drawn couplers' ratio (0.5 to 1e-5)
    assert abs(k - 0.5) < 1e-4
    mesh.chip = mesh.chip._replace(coupling_1=jnp.full_like(mesh.chip.coupling_1, k),
                                   coupling_2=jnp.full_like(mesh.chip.coupling_2, k))
    settings = mesh.program_unitary(haar_unitary(n, np.random.default_rng(n)))
    fn = component_circuit(cell)
    for wl in (WL0, 1.56):
        s = fn(wl=wl, **mesh_instance_settings(*mesh.realised_phases(settings), settings.active))
        layout = np.array([[s[f"in{i}", f"out{o}"] for i in range(n)] for o in range(n)])
        out_heaters = propagation(wl, length=50.0, **OPTICS)  # the output phase screen's waveguide: common to all modes
        np.testing.assert_allclose(layout, out_heaters * np.asarray(mesh.transfer(settings, wl)), atol=1e-12)


def test_bypass_is_path_matched_to_the_mzi():
    assert mesh_bypass(side=1).info["path_length"] == pytest.approx(mesh_column_length(), abs=1e-3)
    assert mesh_bypass(side=-1).info["path_length"] == pytest.approx(mesh_column_length(), abs=1e-3)


def test_mesh_settings_default_active_is_the_clements_grid():
    n = 5
    theta = np.arange(6 * 2, dtype=float).reshape(6, 2)
    inst = mesh_instance_settings(theta, -theta, np.zeros(n))
    mzis = sorted(k for k in inst if k.startswith("mzi_"))
    assert len(mzis) == n * (n - 1) // 2  # 10 MZIs: 2 per column in 5 columns, the padded 6th column empty
    assert inst["mzi_1_1"] == {"theta": 3.0, "phi": -3.0}
    assert inst["out_4"] == {"phase": 0.0}
    with pytest.raises(ValueError, match="theta and phi"):
        mesh_instance_settings(theta, theta[:, :1], np.zeros(n))


def test_bank_detuning_uses_the_thermo_optic_phase():
    # a fixed heater power gives phase proportional to 1 / wl: twice the wavelength, half the phase
    np.testing.assert_allclose(bank_detuning_at_channels([0.4, 0.2], [WL0, 2 * WL0]), [0.4, 0.1], rtol=1e-12)


def test_yaml_weight_bank_is_the_python_cell(tmp_path):
    from photrain.layout import load_circuit

    component, fn = load_circuit("circuits/weight_bank4.pic.yml")
    netlist = component.get_netlist()
    (inst,) = netlist["instances"].values()
    assert inst["component"] == "weight_bank"
    cell = weight_bank(4, radius=5.0, gap=0.2, pitch=30.0)
    assert component.dbbox().width() == pytest.approx(cell.dbbox().width())
    heater = [0.0, 0.1, 0.2, 0.3]
    wl = np.linspace(1.545, 1.555, 7)
    s_yaml = fn(wl=wl, bank={"delta_phase": heater})
    s_cell = component_circuit(cell)(wl=wl, **bank_instance_settings(heater))
    for key in (("o1", "o3"), ("o1", "o2")):
        np.testing.assert_allclose(s_yaml[key], s_cell[key], atol=1e-12)


def test_bank_ring_heater_stays_clear_of_the_buses():
    import klayout.db as kdb

    from photrain.layout.cells import bank_ring

    c = bank_ring()
    heater = kdb.Region(c.begin_shapes_rec(c.kcl.layer(47, 0)))
    wg = kdb.Region(c.begin_shapes_rec(c.kcl.layer(1, 0))).merged()
    buses = kdb.Region([p for p in wg.each() if p.holes() == 0])
    assert buses.count() == 2
    assert (heater & buses.sized(1499)).is_empty()  # >= 1.5 µm from both buses
    ring = wg - buses
    assert (ring & heater).area() * 1e-6 > 0.5 * 15.0 * 0.5  # and over at least half the ring's ~37 µm
    assert c.info["heater_length"] > 10.0
