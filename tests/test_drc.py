"""DRC deck for the generic PDK: shipped layouts are clean, seeded violations are caught where they were put."""

from pathlib import Path

import pytest

from photrain.layout import build_component
from photrain.layout.cells import bank_ring, clements_mesh, heater_straight, weight_bank
from photrain.layout.drc import load_deck, run_drc

CIRCUITS = sorted(Path("circuits").glob("*.pic.yml"))


@pytest.mark.parametrize("path", CIRCUITS, ids=[p.name for p in CIRCUITS])
def test_shipped_circuits_are_drc_clean(path):
    report = run_drc(build_component(path))
    assert report.clean, report.summary()


@pytest.mark.parametrize("cell", [lambda: bank_ring(), lambda: heater_straight(), lambda: weight_bank(3),
                                  lambda: clements_mesh(3)], ids=["bank_ring", "heater_straight", "bank3", "mesh3"])
def test_core_cells_are_drc_clean(cell):
    report = run_drc(cell())
    assert report.clean, report.summary()


def test_via_on_a_waveguide_is_caught_where_it_is(seeded_heater):
    report = run_drc(seeded_heater(("VIA1", 20.0, -0.35, 20.7, 0.35)))  # a via sitting on the heated waveguide
    counts = report.counts
    assert counts.get("VIA.WG.1") == 1
    (v,) = [v for v in report.violations if v.rule == "VIA.WG.1"]
    assert v.x == pytest.approx(20.35, abs=0.01) and v.y == pytest.approx(0.0, abs=0.3)
    assert counts.get("V1.EN.3") == 1  # and it has no M2 over it


def test_narrow_metal_is_caught_and_wide_metal_is_not(seeded_heater):
    narrow = run_drc(seeded_heater(("M3", 10.0, 20.0, 11.0, 60.0)))  # 1 µm wide top metal (deck: >= 2)
    assert narrow.counts == {"M3.W.1": 1}
    (v,) = narrow.violations
    assert v.x == pytest.approx(10.5, abs=0.01) and v.y == pytest.approx(40.0, abs=20.0)
    assert run_drc(seeded_heater(("M3", 10.0, 20.0, 12.0, 60.0))).clean  # 2 µm: at the limit, legal


def test_heater_beside_or_along_a_waveguide_is_caught(seeded_heater):
    # a second heater running 0.5 µm beside the waveguide's heater-free stretch: too close
    beside = run_drc(seeded_heater(("WG", -30.0, 10.0, -5.0, 10.5), ("HEATER", -30.0, 11.0, -5.0, 13.5)))
    assert beside.counts.get("HTR.WG.1", 0) >= 1
    # a heater whose edge runs along inside a waveguide (half over it)
    along = run_drc(seeded_heater(("WG", -30.0, 10.0, -5.0, 10.5), ("HEATER", -30.0, 10.25, -5.0, 12.75)))
    assert along.counts.get("HTR.WG.2", 0) >= 1


def test_markers_gds_holds_one_marker_per_violation(tmp_path, seeded_heater):
    import klayout.db as kdb

    report = run_drc(seeded_heater(("VIA1", 20.0, -0.35, 20.7, 0.35), ("M3", 10.0, 20.0, 11.0, 60.0)))
    path = report.write_markers(tmp_path / "markers.gds")
    layout = kdb.Layout()
    layout.read(str(path))
    top = layout.top_cells()[0]
    markers = kdb.Region(top.begin_shapes_rec(layout.layer(205, 0)))
    assert markers.count() == len(report.violations) >= 3


def test_deck_errors_name_the_problem(tmp_path):
    bad = tmp_path / "deck.yml"
    bad.write_text("layers: {WG: [1, 0]}\nrules:\n  - {name: X, kind: wdth, layer: WG, value: 1}\n")
    with pytest.raises(ValueError, match="kind 'wdth'"):
        load_deck(bad)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        run_drc(tmp_path / "missing.gds")
