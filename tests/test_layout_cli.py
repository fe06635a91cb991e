"""Command line for layouts: photrain layout --chip/--png and photrain drc (exit codes, one-line errors, markers)."""


def test_cli_drc_exit_codes_and_markers(tmp_path, capsys, seeded_heater):
    from photrain.cli import main

    clean = seeded_heater()
    dirty = seeded_heater(("VIA1", 20.0, -0.35, 20.7, 0.35))
    clean.write_gds(tmp_path / "clean.gds")
    dirty.write_gds(tmp_path / "dirty.gds")
    assert main(["drc", str(tmp_path / "clean.gds")]) == 0
    assert main(["drc", str(tmp_path / "dirty.gds")]) == 1
    out = capsys.readouterr().out
    assert "VIA.WG.1 at (20.350," in out
    assert (tmp_path / "dirty_drc.gds").exists()
    assert main(["drc", str(tmp_path / "nope.gds")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_layout_chip_png(tmp_path, capsys):
    from photrain.cli import main

    gds, png = tmp_path / "m.gds", tmp_path / "m.png"
    assert main(["layout", "--chip", "mesh", "--size", "2", "-o", str(gds), "--png", str(png)]) == 0
    assert gds.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    assert main(["drc", str(gds)]) == 0
    assert main(["layout", "--chip", "bank", "--size", "8", "-o", str(gds)]) == 2
    assert "CHANNELSxROWS" in capsys.readouterr().err
