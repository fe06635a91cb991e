import subprocess
import sys

from conftest import ROOT

from photrain.cli import main


def test_simulate_writes_plot(tmp_path, capsys):
    out = tmp_path / "demux.png"
    rc = main(["simulate", str(ROOT / "circuits" / "wdm_demux4.pic.yml"), "--wl", "1.54:1.56:401",
               "--ports", "o1,o3", "o1,o4", "--plot", str(out)])
    assert rc == 0
    assert out.stat().st_size > 10_000
    text = capsys.readouterr().out
    assert "o1 -> o3" in text and "o1 -> o4" in text


def test_layout_writes_gds(tmp_path):
    out = tmp_path / "bank.gds"
    assert main(["layout", str(ROOT / "circuits" / "weight_bank4.pic.yml"), "-o", str(out)]) == 0
    assert out.stat().st_size > 1000


def test_cli_errors_are_clear(tmp_path, capsys):
    assert main(["simulate", "circuits/missing.pic.yml"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["simulate", str(ROOT / "circuits" / "mzi.pic.yml"), "--wl", "1.6:1.5:10"]) == 2
    assert "0 < start < stop" in capsys.readouterr().err
    assert main(["simulate", str(ROOT / "circuits" / "mzi.pic.yml"), "--wl", "1.5:1.6:11", "--ports", "o1,o9"]) == 2
    assert "unknown port pair" in capsys.readouterr().err


def test_console_script_runs():
    r = subprocess.run([sys.executable, "-m", "photrain.cli", "--help"], capture_output=True, text=True, check=True)
    assert "simulate" in r.stdout and "layout" in r.stdout
