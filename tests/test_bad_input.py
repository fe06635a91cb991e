"""Bad input never crashes, hangs or loses data (issue 15): bounded work, checked layouts, one error path, API checks."""

import gzip
import time

import numpy as np
import pytest
from conftest import ROOT

from photrain.circuits import circuit
from photrain.circuits.sweep import parse_wl_range, sweep
from photrain.cli import main
from photrain.cores import MRRWeightBank, MZIMesh
from photrain.cores.decompose import clements, haar_unitary, reck
from photrain.layout import load_yaml, write_gds

MZI = ROOT / "circuits" / "mzi.pic.yml"
STRAIGHT = "instances:\n  wg: {component: straight, settings: {length: 10}}\nports:\n  o1: wg,o1\n  o2: wg,o2\n"


def bomb(levels: int = 9) -> str:
    """The classic 'billion laughs': ``levels`` lines of nine aliases each, 9**levels nodes when walked."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    tail = f"\ninstances:\n  wg: {{component: straight, info: {{blob: *l{levels - 1}}}}}\nports:\n  o1: wg,o1\n"
    return "\n".join(lines) + tail


def write(tmp_path, text, name="c.pic.yml"):
    f = tmp_path / name
    f.write_text(text)
    return f


def run(argv, capsys):
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    return rc, err


def assert_one_line_error(rc, err, *needles):
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("photrain"), err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, (n, err)


# ------------------------------------------------------------------ part 2: bounded work


def test_alias_bomb_is_refused_before_anything_walks_it(tmp_path):
    f = write(tmp_path, bomb(9))
    t = time.perf_counter()
    with pytest.raises(ValueError, match=r"aliases expand to more than \d+ nodes"):
        load_yaml(f)
    assert time.perf_counter() - t < 2.0


def test_small_aliases_outside_settings_are_fine_but_not_inside(tmp_path):
    ok = "common: &wg {component: straight}\ninstances:\n  a: *wg\n  b: *wg\nconnections:\n  a,o2: b,o1\nports:\n  o1: a,o1\n"
    with pytest.raises(ValueError, match="unknown top-level key 'common'"):  # aliases parse; the extra key is named
        load_yaml(write(tmp_path, ok))
    bad = "instances:\n  a: {component: straight, settings: &s {length: 3}}\n  b: {component: straight, settings: *s}\n" \
          "ports:\n  o1: a,o1\n"
    with pytest.raises(ValueError, match=r"line 3: alias \*s inside 'settings'"):
        load_yaml(write(tmp_path, bad, "b.pic.yml"))
    merged = "instances:\n  a: {component: straight, settings: &s {length: 3}}\n  b:\n    component: straight\n" \
             "    settings:\n      <<: *s\nports:\n  o1: a,o1\n"
    with pytest.raises(ValueError, match="inside 'settings'"):
        load_yaml(write(tmp_path, merged, "m.pic.yml"))


def test_recursive_alias_and_deep_nesting_are_refused(tmp_path):
    with pytest.raises(ValueError, match="refers to its own anchor"):
        load_yaml(write(tmp_path, "instances: &x\n  a: *x\nports:\n  o1: a,o1\n"))
    with pytest.raises(ValueError, match="nested too deeply"):
        load_yaml(write(tmp_path, "instances: " + "[" * 5000 + "]" * 5000 + "\n", "d.pic.yml"))


def test_wavelength_point_cap_names_the_memory_and_the_override():
    with pytest.raises(ValueError, match=r"1000000 points exceed the cap of 100000 .*GB.*--max-points 1000000"):
        parse_wl_range("1.5:1.6:1000000")
    assert parse_wl_range("1.5:1.6:1000000", max_points=10**6).size == 10**6


def test_cli_refuses_a_huge_sweep_before_building_anything(capsys):
    t = time.perf_counter()
    rc, err = run(["simulate", MZI, "--wl", "1.5:1.6:1000000"], capsys)
    assert_one_line_error(rc, err, "exceed the cap", "--max-points")
    assert time.perf_counter() - t < 5.0


def test_instance_cap_yaml_arrays_and_dict_netlists(tmp_path):
    many = "instances:\n" + "".join(f"  s{i}: straight\n" for i in range(2500)) + "ports:\n  o1: s0,o1\n"
    f = write(tmp_path, many)
    with pytest.raises(ValueError, match="2500 instances exceed the cap of 2000.*--max-instances 2500"):
        load_yaml(f)
    assert len(load_yaml(f, max_instances=3000)["instances"]) == 2500
    arr = "instances:\n  a: {component: straight, array: {columns: 100000, rows: 100000, column_pitch: 10, row_pitch: 10}}\n" \
          "ports:\n  o1: a,o1\n"
    with pytest.raises(ValueError, match="10000000000 instances exceed the cap"):
        load_yaml(write(tmp_path, arr, "a.pic.yml"))
    net = {"instances": {f"s{i}": "straight" for i in range(30)}, "ports": {"o1": "s0,o1"}}
    with pytest.raises(ValueError, match="30 instances exceed the cap of 20"):
        from photrain.circuits import validate_netlist

        validate_netlist(net, max_instances=20)


def test_oversized_file_is_refused_unread(tmp_path):
    f = tmp_path / "big.pic.yml"
    f.write_bytes(b"# " + b"x" * 5_000_000 + b"\n" + STRAIGHT.encode())
    with pytest.raises(ValueError, match="bytes is more than a circuit file holds"):
        load_yaml(f)


# ------------------------------------------------------------------ part 4: layouts as checked as simulations


def test_layout_refuses_what_simulate_refuses_and_writes_nothing(tmp_path, capsys):
    no_ports = "instances:\n  a: {component: straight}\n  b: {component: straight}\nconnections:\n  a,o2: b,o1\n"
    out = tmp_path / "x.gds"
    rc, err = run(["layout", write(tmp_path, no_ports), "-o", out], capsys)
    assert_one_line_error(rc, err, "exposes no 'ports'")
    assert not out.exists()
    twice = "instances:\n  a: {component: straight}\n  b: {component: straight}\nconnections:\n  a,o2: b,o1\n" \
            "ports:\n  o1: a,o1\n  o2: a,o2\n"
    rc, err = run(["layout", write(tmp_path, twice, "t.pic.yml"), "-o", out], capsys)
    assert_one_line_error(rc, err, "'a,o2' is used twice")
    assert not out.exists()
    assert list(tmp_path.glob("*.gds")) == [] and list(tmp_path.glob(".*tmp*")) == []


@pytest.mark.parametrize("settings,match", [
    ("{length: .nan}", "'length' is nan"),
    ("{length: .inf}", "'length' is inf"),
    ("{length: -5}", "'length' = -5 µm is not a physical dimension"),
    ("{width: 0}", "'width' = 0 µm is not a physical dimension"),
    ("{length: 3.0e+9}", "beyond the GDS database range"),
    ("{length: abc}", "'length' must be a number, got 'abc'"),
    ("{length: 1e12}", "YAML reads '1e12' as text"),
    ("{lenght: 10}", "unknown setting 'lenght' (did you mean 'length'?)"),
])
def test_bad_dimensions_and_settings_are_named(tmp_path, settings, match):
    f = write(tmp_path, f"instances:\n  wg: {{component: straight, settings: {settings}}}\nports:\n  o1: wg,o1\n")
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        load_yaml(f)
    with pytest.raises(ValueError):
        write_gds(f, tmp_path / "x.gds")
    assert not (tmp_path / "x.gds").exists()


def test_placement_beyond_gds_range_and_nan(tmp_path):
    for place, match in [("{x: 3.0e+9}", "beyond the GDS database range"), ("{x: .nan}", "is nan"),
                         ("{rotation: abc}", "'rotation' must be a number"), ("{z: 3}", "unknown key 'z'")]:
        f = write(tmp_path, f"instances:\n  wg: straight\nplacements:\n  wg: {place}\nports:\n  o1: wg,o1\n")
        with pytest.raises(ValueError, match=match):
            load_yaml(f)


def test_duplicate_instance_keys_are_an_error(tmp_path):
    f = write(tmp_path, "instances:\n  a: {component: straight}\n  a: {component: mmi2x2}\nports:\n  o1: a,o1\n")
    with pytest.raises(ValueError, match=r"line 3: duplicate key 'a' \(first at line 2\)"):
        load_yaml(f)
    flow = write(tmp_path, "instances:\n  a: {component: straight}\nports: {o1: a,o1}\n", "f.pic.yml")
    with pytest.raises(ValueError, match="a comma separates entries"):
        load_yaml(flow)


def test_unknown_settings_in_dict_netlists_get_near_misses():
    net = {"instances": {"r": {"component": "ring_add_drop", "settings": {"coupling1": 0.1}}}, "ports": {"o1": "r,o1"}}
    with pytest.raises(ValueError, match=r"unknown setting 'coupling1' \(did you mean 'coupling_1'"):
        circuit(net)
    net = {"instances": {"w": {"component": "straight", "settings": {"length": "long"}}}, "ports": {"o1": "w,o1"}}
    with pytest.raises(ValueError, match="'length' must be a number, got 'long'"):
        circuit(net)


def test_unknown_component_lists_the_closest_few_not_all():
    with pytest.raises(KeyError) as err:
        circuit({"instances": {"a": "strait"}, "ports": {"o1": "a,o1"}})
    text = str(err.value)
    assert "'strait' (did you mean 'straight'" in text
    assert len(text) < 600 and "mzi2x2" not in text


# ------------------------------------------------------------------ part 5: one error path


@pytest.mark.parametrize("make_argv,needle", [
    (lambda t: ["simulate", t], "is a folder"),
    (lambda t: ["simulate", write(t, "\x00\x01 binary")], "not valid YAML"),
    (lambda t: ["simulate", write(t, "instances:\n  a: 3\nports:\n  o1: a,o1\n")], "instance 'a' must be"),
    (lambda t: ["simulate", MZI, "--wl", "1500:1600:101"], "looks like nanometres"),
    (lambda t: ["simulate", MZI, "--wl", "nan:1.6:11"], "must be finite"),
    (lambda t: ["simulate", MZI, "--ports", "o1"], "must be 'in,out'"),
    (lambda t: ["simulate", MZI, "--plot", t / "plot.yml"], "unsupported file type '.yml'"),
    (lambda t: ["simulate", write(t, STRAIGHT, "s.png"), "--plot", t / "s.png"], "is the input file"),
    (lambda t: ["layout", MZI, "-o", t / "x.txt"], "must end in .gds"),
    (lambda t: ["energy", write(t, "{not json", "results.json")], "not a photrain results.json"),
    (lambda t: ["energy", write(t, "{}", "results.json")], "not a photrain results.json"),
    (lambda t: ["simulate"], "required: circuit"),
    (lambda t: ["simulate", MZI, "--wl"], "expected one argument"),
    (lambda t: ["simulate", MZI, "--max-points", "many"], "invalid int value"),
])
def test_cli_expected_failures_are_one_line_exit_2(tmp_path, capsys, make_argv, needle):
    argv = [str(a) for a in make_argv(tmp_path)]
    before = sorted(tmp_path.rglob("*"))
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse
        rc = e.code
    err = capsys.readouterr().err
    assert_one_line_error(rc, err, needle)
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, nothing overwritten


def test_output_never_overwrites_the_input(tmp_path, capsys):
    src = write(tmp_path, STRAIGHT, "c.gds")
    before = src.read_bytes()
    rc, err = run(["layout", src, "-o", src], capsys)
    assert_one_line_error(rc, err, "is the input circuit file")
    assert src.read_bytes() == before


def test_debug_shows_the_traceback():
    with pytest.raises(ValueError, match="looks like nanometres"):
        main(["simulate", str(MZI), "--wl", "1500:1600:11", "--debug"])


def test_keyboard_interrupt_at_startup_and_during_simulate(monkeypatch, capsys):
    import photrain.cli as cli
    import photrain.layout as layout

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(layout, "load_circuit", interrupt)
    rc, err = run(["simulate", MZI, "--wl", "1.5:1.6:11"], capsys)
    assert rc == 130 and err.strip().splitlines() == ["photrain: interrupted; nothing more was written"]
    monkeypatch.setattr(cli, "build_parser", interrupt)
    rc, err = run(["simulate", MZI], capsys)
    assert rc == 130 and len(err.strip().splitlines()) == 1 and "checkpoint" not in err


def test_corrupt_and_truncated_idx_files_name_the_file(tmp_path):
    from photrain.train.data import read_idx

    bad = tmp_path / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match=f"{bad.name}: corrupt gzip"):
        read_idx(bad)
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 40)[:-6])
    with pytest.raises(ValueError, match=f"{bad.name}: corrupt gzip"):
        read_idx(bad)
    short = tmp_path / "x-idx1-ubyte"
    short.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="too short for an IDX file"):
        read_idx(short)


# ------------------------------------------------------------------ part 6: API validation


@pytest.mark.parametrize("decompose", [clements, reck])
def test_decompositions_refuse_nan_and_empty(decompose):
    u = haar_unitary(4, np.random.default_rng(0))
    u[1, 2] = np.nan
    with pytest.raises(ValueError, match="u contains NaN"):
        decompose(u)
    with pytest.raises(ValueError, match="u is empty"):
        decompose(np.zeros((0, 0)))
    with pytest.raises(ValueError, match="u must be square"):
        decompose(np.eye(3)[:2])


def test_mesh_arguments():
    with pytest.raises(ValueError, match="phase_bits must be an integer >= 1"):
        MZIMesh(4, phase_bits=0)
    with pytest.raises(ValueError, match="phase_bits"):
        MZIMesh(4, phase_bits=-3)
    with pytest.raises(ValueError, match="coupler_sigma must be >= 0"):
        MZIMesh(4, coupler_sigma=float("nan"))
    mesh = MZIMesh(4)
    with pytest.raises(ValueError, match="w is empty"):
        mesh.program(np.zeros((0, 3)))
    settings = mesh.program_unitary(np.eye(4))
    with pytest.raises(ValueError, match="looks like nanometres"):
        mesh.transfer(settings, 1550.0)
    with pytest.raises(ValueError, match="wl is empty"):
        mesh.transfer(settings, np.array([]))
    with pytest.raises(ValueError, match="wavelength wl must be finite and > 0"):
        mesh.transfer(settings, -1.55)


def test_bank_arguments():
    with pytest.raises(ValueError, match="spacing must be finite"):
        MRRWeightBank(4, spacing=float("nan"))
    with pytest.raises(ValueError, match="coupling must be"):
        MRRWeightBank(4, coupling=float("nan"))
    with pytest.raises(ValueError, match="wl_center = 1550 looks like nanometres"):
        MRRWeightBank(4, wl_center=1550.0)
    bank = MRRWeightBank(4, 2)
    for call in (bank.program, bank.compile, bank.program_blocks):
        with pytest.raises(ValueError, match="w .*empty"):
            call(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="w contains NaN"):
        bank.program(np.full((2, 4), np.nan))


def test_sweep_wavelengths():
    func = circuit({"instances": {"a": "straight"}, "ports": {"o1": "a,o1", "o2": "a,o2"}})
    with pytest.raises(ValueError, match="wl is empty"):
        sweep(func, [])
    with pytest.raises(ValueError, match="looks like nanometres"):
        sweep(func, [1550.0])
    with pytest.raises(ValueError, match="finite and > 0"):
        sweep(func, [0.0, 1.55])
