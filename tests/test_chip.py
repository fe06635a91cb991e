"""Chip assembly: every heater contact reaches its own pad, the chip is DRC-clean, and its extracted netlist
equals the core model times the I/O paths (grating couplers and routing waveguides)."""

import jax.numpy as jnp
import klayout.db as kdb
import numpy as np
import pytest

from photrain.cores import MRRWeightBank, MZIMesh, haar_unitary
from photrain.layout.cells import bank_detuning_at_channels, weight_bank_geometry
from photrain.layout.chip import bank_chip, chip_circuit, io_paths, mesh_chip
from photrain.layout.drc import run_drc
from photrain.layout.geometry import half_coupling_length, mesh_column_length
from photrain.models.couplers import coupling_from_gap
from photrain.models.grating_couplers import grating_coupler_transmission
from photrain.models.optics import LOSS_DB_PER_CM, NEFF, NG, WL0, propagation

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True

OPTICS = dict(neff=NEFF, ng=NG, wl0=WL0, loss_db_per_cm=LOSS_DB_PER_CM)


@pytest.fixture(scope="module")
def mesh4():
    # odd n (no padded column drawn) is checked cell-level in test_layout_cells and test_drc; a 3-mode chip
    # measured DRC-clean with chip == model x I/O to 1.1e-14 (issue 16)
    return mesh_chip(4)


@pytest.fixture(scope="module")
def bank22():
    return bank_chip(2, 2)


def _nets(chip):
    """Top-metal nets (merged M3 polygons) and the via2 count of each."""
    layout, cell = chip.kcl.layout, chip.kdb_cell
    m3 = kdb.Region(cell.begin_shapes_rec(layout.layer(49, 0))).merged()
    via2 = kdb.Region(cell.begin_shapes_rec(layout.layer(43, 0)))
    return [(net, via2.interacting(kdb.Region(net)).count()) for net in m3.each()]


def _net_of(nets, x, y):
    p = kdb.Point(int(round(x * 1000)), int(round(y * 1000)))
    hits = [k for k, (net, _) in enumerate(nets) if net.inside(p)]
    assert len(hits) == 1
    return hits[0]


@pytest.mark.parametrize("which", ["mesh4", "bank22"])
def test_every_heater_contact_reaches_its_own_pad(which, request):
    chip = request.getfixturevalue(which)
    nets = _nets(chip)
    pads = chip.info["pads"]
    core = [r for r in chip.insts if r.name in ("core", "row0", "row1")]
    contacts = {}
    for ref in core:
        for p in ref.ports:
            if p.port_type == "electrical":
                key = p.name if ref.name == "core" else f"r{ref.name[3:]}_{p.name}"
                contacts[key] = p.center
    assert sorted(pads.values()) == sorted(contacts)  # one pad per contact, all of them
    assert len(nets) == len(pads)  # nothing else on top metal, no two contacts shorted
    assert all(n_via == 1 for _, n_via in nets)  # each net lands on exactly one via stack
    by_name = {r.name: r for r in chip.insts}
    for pad, contact in pads.items():
        c = by_name[pad].dcenter
        assert _net_of(nets, c[0], c[1]) == _net_of(nets, *contacts[contact])


@pytest.mark.parametrize("which", ["mesh4", "bank22"])
def test_chips_are_drc_clean(which, request):
    report = run_drc(request.getfixturevalue(which))
    assert report.clean, report.summary()


def test_mesh_chip_netlist_is_core_model_times_io(mesh4, x64):
    n = 4
    mesh = MZIMesh(n, column_length=mesh_column_length(), loss_db_per_cm=LOSS_DB_PER_CM)
    k = float(coupling_from_gap(0.2, half_coupling_length(0.2)))
    mesh.chip = mesh.chip._replace(coupling_1=jnp.full_like(mesh.chip.coupling_1, k),
                                   coupling_2=jnp.full_like(mesh.chip.coupling_2, k))
    settings = mesh.program_unitary(haar_unitary(n, np.random.default_rng(1)))
    theta, phi, out = mesh.realised_phases(settings)
    core = [i for i in mesh4.get_netlist()["instances"].values() if i["component"] == "clements_mesh"][0]
    common = core["settings"]["output_gap"] + core["settings"]["heater_length"]
    fn = chip_circuit(mesh4, cores={"core": {"theta": theta, "phi": phi, "out_phase": out}})
    wl = 1.552
    s = fn(wl=wl)
    io = io_paths(mesh4, wl)
    assert {io[f"in{m}"][0] for m in range(n)} == {f"in{m}" for m in range(n)}
    # each I/O path: one coupler at its stated transmission, times routing waveguide loss (2 dB/cm, < 0.25 dB)
    t_gc = float(grating_coupler_transmission(wl, wl0=1.55))
    for _, amp in io.values():
        assert 0.944 * t_gc < abs(amp) ** 2 < t_gc
    u = np.asarray(mesh.transfer(settings, wl)) * complex(propagation(wl, length=common, **OPTICS))
    chip_s = np.array([[s[f"in{i}", f"out{o}"] for i in range(n)] for o in range(n)])
    model = np.array([[io[f"out{o}"][1] * u[o, i] * io[f"in{i}"][1] for i in range(n)] for o in range(n)])
    np.testing.assert_allclose(chip_s, model, atol=1e-9)
    # the loop-back pairs: coupler to coupler, nothing else
    assert abs(s["loop_ina1", "loop_ina2"]) ** 2 == pytest.approx(t_gc**2, rel=0.02)
    assert abs(s["loop_outb1", "loop_outb2"]) ** 2 == pytest.approx(t_gc**2, rel=0.02)


def test_bank_chip_netlist_is_bank_model_times_io(bank22, x64):
    n = 2
    geo = weight_bank_geometry(n)
    bank = MRRWeightBank(n, 1, ring_lengths=geo["ring_lengths"], coupling=geo["coupling"], pitch=geo["bus_pitch"],
                         max_detuning=1.0)
    heaters = [np.array([0.0, 0.2]), np.array([0.3, 0.05])]
    wl = np.asarray(bank.channels)
    s = chip_circuit(bank22, cores={"row0": {"delta_phase": heaters[0]}, "row1": {"delta_phase": heaters[1]}})(wl=wl)
    io = io_paths(bank22, wl)
    for r in range(2):
        drop, thru = bank.response(bank_detuning_at_channels(heaters[r], wl)[None, :])
        d = drop[0] * propagation(wl, length=geo["port_lengths"]["drop"], **OPTICS)
        t = thru[0] * propagation(wl, length=geo["port_lengths"]["through"], **OPTICS)
        np.testing.assert_allclose(s[f"in{r}", f"drop{r}"], io[f"in{r}"][1] * d * io[f"drop{r}"][1], atol=1e-9)
        np.testing.assert_allclose(s[f"in{r}", f"thru{r}"], io[f"in{r}"][1] * t * io[f"thru{r}"][1], atol=1e-9)
    # rows do not talk to each other
    assert np.abs(s["in0", "drop1"]).max() < 1e-12


@pytest.mark.parametrize("kind", ["bank", "mesh"])
def test_default_chips_are_drc_clean(kind, tmp_path):
    """The chips `photrain layout --chip` ships by default (8x4 bank, 8x8 mesh): routed to 64 / 128 pads, DRC-clean."""
    from photrain.layout.chip import write_chip

    path = write_chip(kind, tmp_path / f"{kind}.gds")
    report = run_drc(path)
    assert report.clean, report.summary()
    import gdsfactory as gf

    pads = [r for r in gf.import_gds(path).insts if r.cell.name.startswith("pad")]
    assert len(pads) == (64 if kind == "bank" else 128)


def test_grating_coupler_passband_closed_form():
    from photrain.models import grating_coupler

    wl = np.array([1.55, 1.57, 1.53, 1.60])
    s = grating_coupler(wl=wl, wl0=1.55, insertion_loss_db=3.0, bandwidth=0.040)
    t = np.abs(np.asarray(s["o1", "o2"])) ** 2
    assert t[0] == pytest.approx(10 ** -0.3, rel=1e-12)  # 3 dB at the design wavelength
    np.testing.assert_allclose(t[1:3] / t[0], 0.5, rtol=1e-12)  # half power at +-FWHM/2 = 20 nm
    assert t[3] / t[0] == pytest.approx(np.exp(-4 * np.log(2) * (0.05 / 0.04) ** 2), rel=1e-12)
    np.testing.assert_array_equal(np.asarray(s["o2", "o1"]), np.asarray(s["o1", "o2"]))  # reciprocal
    r = grating_coupler(wl=1.55, insertion_loss_db=0.0, reflection=0.1)
    assert abs(r["o1", "o2"]) ** 2 + abs(r["o1", "o1"]) ** 2 == pytest.approx(1.0)  # lossless: passive, no gain
    with pytest.raises(ValueError, match="bandwidth"):
        grating_coupler(wl=1.55, bandwidth=0.0)
