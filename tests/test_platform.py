"""PHOTRAIN_PLATFORM: undoing klujax's CPU pin (photrain._platform). CPU only, in subprocesses
(the pin is process-wide and happens once, at klujax's import)."""

import os
import subprocess
import sys

import pytest

from photrain import _platform

REPORT = "print(repr(jax.config.read('jax_platform_name')), jax.default_backend(), jax.config.read('jax_enable_x64'))"


def probe(value, imports="photrain, klujax"):  # klujax's import is what pins; sax imports it
    env = {k: v for k, v in os.environ.items() if k not in ("PHOTRAIN_PLATFORM", "JAX_PLATFORM_NAME", "JAX_PLATFORMS")}
    if value is not None:
        env["PHOTRAIN_PLATFORM"] = value
    done = subprocess.run([sys.executable, "-c", f"import jax, {imports}; {REPORT}"], env=env,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout.strip(), done.stderr


def test_default_keeps_klujax_cpu_pin():
    code, out, err = probe(None)
    assert code == 0, err
    assert out == "'cpu' cpu True"  # klujax's pin, as without photrain


def test_auto_undoes_the_pin_and_keeps_x64():
    code, out, err = probe("auto", imports="photrain.models, sax")  # the real path: photrain's models import sax
    assert code == 0, err
    assert out == "'' cpu True"  # the pin is gone: JAX's own default (the CPU on a machine without accelerator)


def test_cpu_keeps_cpu():
    code, out, err = probe("CPU")
    assert code == 0, err
    assert out == "'cpu' cpu True"


def test_bad_value_fails_at_import_naming_the_variable():
    code, out, err = probe("h200", imports="photrain")
    assert code != 0
    assert "PHOTRAIN_PLATFORM='h200' is not a JAX platform: use one of auto, cpu, gpu" in err


def test_requested_platform_parsing():
    assert _platform.requested_platform({}) is None
    assert _platform.requested_platform({"PHOTRAIN_PLATFORM": " "}) is None
    assert _platform.requested_platform({"PHOTRAIN_PLATFORM": " Cuda "}) == "cuda"
    assert _platform.apply({}) is None  # unset: nothing to do
    with pytest.raises(ValueError, match="PHOTRAIN_PLATFORM"):
        _platform.requested_platform({"PHOTRAIN_PLATFORM": "metal"})
