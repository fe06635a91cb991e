"""YAML circuits build layouts, write GDS and simulate; bad netlists get clear errors."""

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from photrain import models as m
from photrain.circuits import circuit, sweep
from photrain.layout import build_component, load_circuit, load_yaml, write_gds

CIRCUITS = sorted((ROOT / "circuits").glob("*.pic.yml"))


def test_shipped_circuits_exist():
    names = {p.name for p in CIRCUITS}
    assert {"mzi.pic.yml", "ring_filter.pic.yml", "wdm_demux4.pic.yml", "weight_bank4.pic.yml"} <= names


@pytest.mark.parametrize("path", CIRCUITS, ids=lambda p: p.name)
def test_yaml_builds_layout_writes_gds_and_simulates(path, tmp_path):
    component, func = load_circuit(path)
    gds = write_gds(component, tmp_path / "c.gds")
    assert gds.stat().st_size > 1000
    s = func(wl=np.linspace(1.54, 1.56, 101))
    total = sum(np.abs(s[("o1", p)]) ** 2 for p in ("o2", "o3", "o4", "o5", "o6") if ("o1", p) in s)
    assert np.all(total <= 1 + 1e-9)
    assert np.max(total) > 0.9  # light gets through somewhere


def test_demux_routes_each_channel_to_its_port_with_15db_isolation():
    _, func = load_circuit(ROOT / "circuits" / "wdm_demux4.pic.yml")
    wl = np.linspace(1.540, 1.560, 20001)
    s = func(wl=wl)
    drops = np.stack([np.abs(s[("o1", f"o{3 + i}")]) ** 2 for i in range(4)])
    # the channel grid: ring i's resonance nearest 1550 nm
    window = (wl > 1.546) & (wl < 1.5535)
    peaks = []
    for i in range(4):
        d = np.where(window, drops[i], 0)
        peaks.append(int(np.argmax(d)))
        others = np.delete(drops[:, peaks[-1]], i)
        isolation_db = 10 * np.log10(drops[i, peaks[-1]] / others.max())
        assert isolation_db > 15, f"channel {i + 1}: isolation {isolation_db:.1f} dB"
    assert peaks == sorted(peaks), "channels must sit in order on the grid"


def test_mzi_yaml_fsr_from_arm_length_difference():
    _, func = load_circuit(ROOT / "circuits" / "mzi.pic.yml")
    wl = np.linspace(1.54, 1.56, 20001)
    cross = np.abs(func(wl=wl)[("o1", "o4")]) ** 2
    minima = [i for i in range(1, wl.size - 1) if cross[i] < cross[i - 1] and cross[i] <= cross[i + 1] and cross[i] < 0.01]
    fsr = np.diff(wl[minima]).mean()
    # long arm: 4 Euler bends + 3 x 20 um straights; short arm: 60 um straight
    delta_l = 4 * float(m.euler_bend_length(10.0)) + 3 * 20.0 - 60.0
    assert fsr == pytest.approx(1.55**2 / (4.2 * delta_l), rel=0.01)


def test_weight_bank_balanced_weight_spans_sign():
    _, func = load_circuit(ROOT / "circuits" / "weight_bank4.pic.yml")
    s = func(wl=np.linspace(1.54, 1.56, 4001))
    w = np.abs(s[("o1", "o3")]) ** 2 - np.abs(s[("o1", "o2")]) ** 2
    assert w.max() > 0.5 and w.min() < -0.9


# ------------------------------------------------------------------ bad input


def test_unknown_components_are_all_listed():
    net = {"instances": {"a": {"component": "wavegide"}, "b": {"component": "ring_tripple"}, "c": "straight"},
           "ports": {"o1": "c,o1"}}
    with pytest.raises(KeyError) as err:
        circuit(net)
    text = str(err.value)
    assert "'wavegide'" in text and "'ring_tripple'" in text and "Known models" in text


def test_dangling_port_is_named():
    net = {"instances": {"a": "straight", "b": "straight"}, "connections": {"a,o2": "b,o7"},
           "ports": {"in": "a,o1", "out": "b,o2"}}
    with pytest.raises(ValueError, match=r"'b,o7'.*no port 'o7'.*\['o1', 'o2'\]"):
        circuit(net)


def test_missing_instance_is_named():
    net = {"instances": {"a": "straight"}, "connections": {"a,o2": "zz,o1"}, "ports": {"in": "a,o1"}}
    with pytest.raises(ValueError, match="instance 'zz'"):
        circuit(net)


def test_doubly_connected_port_is_named():
    net = {"instances": {"a": "straight", "b": "straight", "c": "straight"},
           "connections": {"a,o2": "b,o1", "c,o1": "a,o2"}, "ports": {"in": "a,o1"}}
    with pytest.raises(ValueError, match="'a,o2' is connected twice"):
        circuit(net)


def test_port_both_connected_and_exposed():
    net = {"instances": {"a": "straight", "b": "straight"}, "connections": {"a,o2": "b,o1"},
           "ports": {"in": "a,o1", "tap": "b,o1"}}
    with pytest.raises(ValueError, match="'b,o1' is connected twice"):
        circuit(net)


@pytest.mark.parametrize("call,match", [
    (lambda: m.coupler_power(coupling=1.2), "coupling must be <= 1.0"),
    (lambda: m.coupler_power(coupling=-0.1), "coupling must be >= 0.0"),
    (lambda: m.ring_add_drop(coupling_2=1.5), "coupling_2 must be <= 1.0"),
    (lambda: m.straight(loss_db_per_cm=-1.0), "loss_db_per_cm must be >= 0.0"),
    (lambda: m.straight(length=-5.0), "length must be >= 0.0"),
    (lambda: m.straight(wl=np.array([1.55, 0.0])), "wavelength wl must be finite and > 0"),
    (lambda: m.straight(wl=-1.55), "wavelength wl must be finite and > 0"),
    (lambda: m.ring_allpass(radius=-3.0), "radius must be > 0"),
    (lambda: m.mz_modulator(v_pi=0.0), "v_pi must be > 0"),
    (lambda: m.ring_demux(n_channels=8, spacing=0.002), "exceed the ring FSR"),
    (lambda: m.coupler_power(coupling=float("nan")), "coupling must be finite"),
])
def test_unphysical_parameters_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_unphysical_settings_in_netlist_raise_at_build():
    net = {"instances": {"c": {"component": "coupler_power", "settings": {"coupling": 1.3}}}, "ports": {"o1": "c,o1"}}
    with pytest.raises(ValueError, match="coupling must be <= 1.0"):
        circuit(net)


def test_yaml_unknown_components_all_listed(tmp_path):
    f = tmp_path / "bad.pic.yml"
    f.write_text("instances:\n  a: {component: ringg_double}\n  b: {component: strait}\nports:\n  o1: a,o1\n")
    with pytest.raises(KeyError) as err:
        build_component(f)
    assert "'ringg_double'" in str(err.value) and "'strait'" in str(err.value)
    assert "did you mean 'ring_double'" in str(err.value)


def test_yaml_is_loaded_safely(tmp_path):
    f = tmp_path / "evil.pic.yml"
    marker = tmp_path / "pwned"
    f.write_text(f"instances: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_yaml(f)
    assert not marker.exists()


def test_missing_yaml_file():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_yaml("circuits/nope.pic.yml")


def test_sweep_unknown_port_pair():
    func = circuit({"instances": {"a": "straight"}, "ports": {"o1": "a,o1", "o2": "a,o2"}})
    with pytest.raises(KeyError, match="ports are"):
        sweep(func, [1.55], [("o1", "o9")])


def test_python_netlist_with_registry_names_and_custom_model():
    import sax

    def my_attenuator(*, wl=1.55, db: float = 3.0):
        return sax.reciprocal({("o1", "o2"): np.broadcast_to(10 ** (-db / 20), np.shape(wl)) + 0j})

    net = {"instances": {"att": {"component": "my_attenuator", "settings": {"db": 10.0}}, "wg": "straight"},
           "connections": {"att,o2": "wg,o1"}, "ports": {"in": "att,o1", "out": "wg,o2"}}
    s = circuit(net, models={"my_attenuator": my_attenuator})(wl=1.55, wg={"length": 0.0})
    assert abs(s[("in", "out")]) ** 2 == pytest.approx(0.1, rel=1e-9)


def test_written_gds_reads_back(tmp_path):
    import klayout.db as kdb

    path = write_gds(ROOT / "circuits" / "ring_filter.pic.yml", tmp_path / "ring.gds")
    layout = kdb.Layout()
    layout.read(str(path))
    box = layout.top_cell().dbbox()
    assert Path(path).stat().st_size > 0
    assert box.width() > 40 and box.height() > 20  # µm: two 20 µm access waveguides + a 10 µm ring
