"""Touchstone export/import: round trip, a scikit-rf file inside a netlist and a YAML circuit, error cases."""

import numpy as np
import pytest
import skrf

from photrain.circuits import circuit
from photrain.circuits.touchstone import freq_to_wl, read_touchstone, touchstone, wl_to_freq, write_touchstone
from photrain.cli import main
from photrain.layout import load_circuit
from photrain.models import mzi2x2, ring_add_drop

WL = np.linspace(1.545, 1.555, 801)
# Files are compared with the models that wrote them to 1e-9: each test runs in float64, scoped (conftest.py's x64
# fixture); photrain's circuit solves and exports scope float64 themselves, a direct model call takes the caller's.
pytestmark = pytest.mark.usefixtures("x64")


def _bus(component, settings):
    """A ring (or its file) with a waveguide on its through port."""
    return {"instances": {"r": {"component": component, "settings": settings},
                          "w": {"component": "straight", "settings": {"length": 25.0}}},
            "connections": {"r,o2": "w,o1"},
            "ports": {"o1": "r,o1", "o2": "w,o2", "o3": "r,o3", "o4": "r,o4"}}


def test_frequency_axis():
    assert wl_to_freq(1.55) == pytest.approx(299792458.0 / 1.55e-6, rel=1e-15)
    np.testing.assert_allclose(freq_to_wl(wl_to_freq(WL)), WL, rtol=1e-15)


def test_round_trip_equals_original(tmp_path):
    path = write_touchstone(ring_add_drop, tmp_path / "ring.s4p", WL, radius=5.0, coupling_1=0.05)
    header = path.read_text().splitlines()[0]
    assert header == "!photrain ports: 1=o1 2=o2 3=o3 4=o4"
    s0 = ring_add_drop(wl=WL, radius=5.0, coupling_1=0.05)
    s1 = touchstone(wl=WL, path=str(path))
    assert set(s1) == {(a, b) for a in ("o1", "o2", "o3", "o4") for b in ("o1", "o2", "o3", "o4")}
    err = max(float(np.max(np.abs(np.asarray(s0.get(k, 0.0)) - np.asarray(s1[k])))) for k in s1)
    assert err < 1e-9
    # scikit-rf sees the same matrix, frequencies ascending: S[i, j] = output i for input j
    net = skrf.Network(str(path))
    assert np.all(np.diff(net.f) > 0)
    k = int(np.argmin(np.abs(freq_to_wl(net.f) - WL[100])))
    np.testing.assert_allclose(net.s[k, 2, 0], np.asarray(s0["o1", "o3"])[100], atol=1e-12)


def test_named_ports_survive_and_interpolation_between_points(tmp_path):
    coarse = np.linspace(1.5, 1.6, 11)
    def model(*, wl):  # noqa: E306 - a linear-in-wl transmission: interpolation must be exact
        t = 0.5 + (wl - 1.5)
        return {("in", "out"): t + 0j, ("out", "in"): t + 0j}
    path = write_touchstone(model, tmp_path / "lin.s2p", coarse)
    s = touchstone(wl=np.array([1.5, 1.537, 1.6]), path=str(path))
    np.testing.assert_allclose(np.asarray(s["in", "out"]).real, [0.5, 0.537, 0.6], atol=1e-12)
    assert ("in", "in") in s and float(np.abs(s["in", "in"]).max()) == 0.0


def test_skrf_file_of_a_sax_circuit_simulates_inside_a_netlist(tmp_path):
    """A file written by scikit-rf itself (not photrain's writer) from a sax ring, used in a netlist."""
    s = ring_add_drop(wl=WL, radius=5.0)
    ports = ["o1", "o2", "o3", "o4"]
    dense = np.array([[np.asarray(s.get((pj, pi), np.zeros(WL.shape))) for pj in ports] for pi in ports])
    dense = np.moveaxis(dense, -1, 0)[::-1]  # (freq, out, in), ascending frequency
    net = skrf.Network(frequency=skrf.Frequency.from_f(wl_to_freq(WL[::-1]), unit="Hz"), s=dense)
    net.write_touchstone(str(tmp_path / "skrf_ring"))  # scikit-rf picks the .s4p extension
    path = tmp_path / "skrf_ring.s4p"
    assert path.exists()
    ref = circuit(_bus("ring_add_drop", {"radius": 5.0}))(wl=WL)
    got = circuit(_bus("touchstone", {"path": str(path)}))(wl=WL)
    for key in (("o1", "o2"), ("o1", "o3"), ("o4", "o2")):
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(ref[key]), atol=1e-9)


def test_two_files_with_different_port_counts_in_one_netlist(tmp_path):
    ring = write_touchstone(ring_add_drop, tmp_path / "ring.s4p", WL, radius=5.0)
    mzi = write_touchstone(mzi2x2, tmp_path / "mzi.s4p", WL, theta=0.7)
    wg = write_touchstone(lambda *, wl: {("o1", "o2"): 0.9 + 0j * wl, ("o2", "o1"): 0.9 + 0j * wl},
                          tmp_path / "att.s2p", WL)
    net = {"instances": {"a": {"component": "touchstone", "settings": {"path": str(ring)}},
                         "b": {"component": "touchstone", "settings": {"path": str(wg)}},
                         "c": {"component": "touchstone", "settings": {"path": str(mzi)}}},
           "connections": {"a,o2": "b,o1", "b,o2": "c,o1"},
           "ports": {"o1": "a,o1", "o2": "c,o3"}}
    s = circuit(net)(wl=WL)
    expect = (np.asarray(ring_add_drop(wl=WL, radius=5.0)["o1", "o2"]) * 0.9
              * np.asarray(mzi2x2(wl=WL, theta=0.7)["o1", "o3"]))
    np.testing.assert_allclose(np.asarray(s["o1", "o2"]), expect, atol=1e-9)


def test_yaml_component_touchstone_relative_to_the_yaml(tmp_path):
    write_touchstone(ring_add_drop, tmp_path / "ring.s4p", WL, radius=5.0)
    (tmp_path / "c.pic.yml").write_text(
        "name: ts\ninstances:\n  r: {component: touchstone, settings: {path: ring.s4p}}\n"
        "  w: {component: straight, settings: {length: 25}}\nconnections:\n  w,o1: r,o2\n"
        "ports:\n  o1: r,o1\n  o2: w,o2\n  o3: r,o3\n  o4: r,o4\n")
    component, func = load_circuit(tmp_path / "c.pic.yml")
    assert sorted(p.name for p in component.ports) == ["o1", "o2", "o3", "o4"]
    ref = circuit(_bus("ring_add_drop", {"radius": 5.0}))(wl=WL)
    got = func(wl=WL)
    np.testing.assert_allclose(np.asarray(got["o1", "o2"]), np.asarray(ref["o1", "o2"]), atol=1e-9)


def test_errors_name_the_file_and_the_fix(tmp_path):
    path = write_touchstone(ring_add_drop, tmp_path / "ring.s4p", WL, radius=5.0)
    with pytest.raises(ValueError, match=r"covers 1\.545000-1\.555000 µm but the sweep asks 1\.500000"):
        touchstone(wl=np.linspace(1.50, 1.60, 5), path=str(path))
    with pytest.raises(ValueError, match="ports lists 3 names but ring.s4p has 4 ports"):
        touchstone(wl=1.55, path=str(path), ports=["a", "b", "c"])
    with pytest.raises(ValueError, match="settings.path is required"):
        touchstone(wl=1.55)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        touchstone(wl=1.55, path=str(tmp_path / "nope.s2p"))
    with pytest.raises(ValueError, match=r"must end in '\.s4p' for this 4-port circuit"):
        write_touchstone(ring_add_drop, tmp_path / "ring.s2p", WL)
    # a 4-port file renamed .s2p, a malformed file, a name that is not .sNp
    (tmp_path / "wrong.s2p").write_text(path.read_text())
    with pytest.raises(ValueError, match=r"wrong\.s2p"):
        read_touchstone(tmp_path / "wrong.s2p")
    (tmp_path / "bad.s2p").write_text("# Hz S RI R 50\n1e14 0.1 0.2 oops\n")
    with pytest.raises(ValueError, match=r"cannot read .*bad\.s2p"):
        read_touchstone(tmp_path / "bad.s2p")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(ValueError, match=r"extension \.sNp"):
        read_touchstone(tmp_path / "x.txt")
    # a netlist connecting a port the file does not have
    net = _bus("touchstone", {"path": str(path)})
    net["ports"]["o5"] = "r,o5"
    with pytest.raises(ValueError, match=r"has no port 'o5'; its ports are \['o1', 'o2', 'o3', 'o4'\]"):
        circuit(net)


def test_cli_simulate_writes_touchstone(tmp_path, capsys):
    out = tmp_path / "rf.s4p"
    assert main(["simulate", "circuits/ring_filter.pic.yml", "--wl", "1.545:1.555:201", "--touchstone", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no light at: o1->o4" in printed and "o1 -> o4" not in printed
    wl, s, ports = read_touchstone(out)
    assert ports == ("o1", "o2", "o3", "o4") and s.shape == (201, 4, 4)
    np.testing.assert_allclose(wl, np.linspace(1.545, 1.555, 201), rtol=1e-14)
    assert main(["simulate", "circuits/ring_filter.pic.yml", "--touchstone", str(tmp_path / "rf.s2p")]) == 2
    assert "must end in .s4p" in capsys.readouterr().err


def test_declared_open_ports_are_not_warned_about_others_are(tmp_path):
    import warnings

    text = open("circuits/wdm_demux4.pic.yml").read()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_circuit("circuits/wdm_demux4.pic.yml")
    assert not [w for w in caught if "Unconnected ports" in str(w.message)]
    partial = text.replace('open_ports: ["ring1,o4", "ring2,o4", "ring3,o4", "ring4,o4"]', 'open_ports: ["ring1,o4"]')
    assert partial != text
    (tmp_path / "d.pic.yml").write_text(partial)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_circuit(tmp_path / "d.pic.yml")
    msgs = [str(w.message) for w in caught if "Unconnected ports" in str(w.message)]
    assert len(msgs) == 1 and "'ring2,o4', 'ring3,o4', 'ring4,o4'" in msgs[0] and "ring1,o4" not in msgs[0]
