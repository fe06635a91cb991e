"""The main job writes its figure and numbers (a short run: 2 epochs per algorithm)."""

import json

import matplotlib

from photrain.cli import main


def test_demo_writes_figure_and_numbers(tmp_path, capsys):
    backend = matplotlib.get_backend()
    assert main(["demo", "--out", str(tmp_path), "--epochs", "2", "--quiet"]) == 0
    assert matplotlib.get_backend() == backend  # the library never switches the backend
    png = tmp_path / "demo.png"
    assert png.stat().st_size > 50_000
    summary = json.loads((tmp_path / "demo.json").read_text())
    assert list(summary["runs"]) == ["backprop", "digital DFA", "optical DFA"]
    for label, run in summary["runs"].items():
        assert 0.5 < run["test_acc_at_best_val"] <= 1.0, label  # 2 epochs already learn the digits
        assert run["energy_per_step_j"] > 0
        history = json.loads((tmp_path / f"demo_{run['algorithm']}" / "results.json").read_text())["history"]
        assert [h["epoch"] for h in history] == [1, 2]
    # only the optical run puts work on the photonic core (B·e), and its energy per step says so
    ledgers = {label: json.loads((tmp_path / f"demo_{run['algorithm']}" / "results.json").read_text())["ledger"]
               for label, run in summary["runs"].items()}
    assert ledgers["optical DFA"]["optical_macs"] > 0 and ledgers["optical DFA"]["adc_conversions"] > 0
    assert ledgers["digital DFA"]["optical_macs"] == 0 == ledgers["backprop"]["optical_macs"]
    assert summary["runs"]["optical DFA"]["energy_per_step_j"] != summary["runs"]["digital DFA"]["energy_per_step_j"]
    assert 1540 < summary["ring"]["drop_peak_nm"] < 1560 and summary["ring"]["drop_peak_db"] > -3
    printed = capsys.readouterr().out
    assert "optical DFA" in printed and "demo.png" in printed


def test_help_is_fast_and_every_option_says_what_it_is():
    import subprocess
    import sys
    import time

    from photrain.cli import COMMANDS, build_parser

    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "photrain.cli", "--help"], capture_output=True, text=True, check=True)
    assert time.perf_counter() - t0 < 5.0  # no jax/sax/gdsfactory import for the command list (was 7 s)
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert list(sub.choices) == list(COMMANDS)
    assert all(name in out.stdout for name in COMMANDS)
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.dest != "help":
                assert action.help, f"photrain {name} {action.option_strings or action.dest} has no help text"
        text = p.format_help()
        if name == "train":
            assert "(default: 0.01)" in text and "(default: [800, 800])" in text


def test_cli_sweep_bad_spec_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "s.yml").write_text("grid:\n  optical.adc_bit: [4]\n")
    assert main(["sweep", str(tmp_path / "s.yml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown parameter 'optical.adc_bit'" in err and "did you mean 'optical.adc_bits'" in err
    assert main(["sweep", str(tmp_path / "missing.yml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_readme_python_snippet_runs_as_written(capsys):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    exec(compile(snippet, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "drop port:" in out and "through port: deepest dip" in out
    dip = float(re.search(r"deepest dip (-?[\d.]+) dB", out).group(1))
    assert dip < -20  # the ring's resonance is inside the window the snippet sweeps
