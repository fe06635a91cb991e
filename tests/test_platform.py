"""PHOTRAIN_PLATFORM and klujax's import guard (photrain._platform): importing photrain, then sax (klujax), leaves
x64 and the platform as they were. CPU only, in subprocesses (klujax's switches are process-wide and happen once,
at its import)."""

import os
import subprocess
import sys

import pytest

from photrain import _platform

REPORT = "print(repr(jax.config.read('jax_platform_name')), jax.default_backend(), jax.config.read('jax_enable_x64'))"


def probe(value, imports="photrain, klujax", before="pass"):  # klujax's import is what switches; sax imports it
    env = {k: v for k, v in os.environ.items() if k not in ("PHOTRAIN_PLATFORM", "JAX_PLATFORM_NAME", "JAX_PLATFORMS",
                                                            "JAX_ENABLE_X64")}
    if value is not None:
        env["PHOTRAIN_PLATFORM"] = value
    done = subprocess.run([sys.executable, "-c", f"import jax; {before}; import {imports}; {REPORT}"], env=env,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout.strip(), done.stderr


def test_default_is_auto_and_leaves_x64_off():
    code, out, err = probe(None)
    assert code == 0, err
    assert out == "'' cpu False"  # JAX's own default (the CPU on a machine without accelerator), x64 as it was


def test_auto_through_the_real_import_path():
    code, out, err = probe("auto", imports="photrain.models, sax")  # photrain's models import sax, sax klujax
    assert code == 0, err
    assert out == "'' cpu False"


def test_a_user_x64_stays_on():
    code, out, err = probe(None, before="jax.config.update('jax_enable_x64', True)")  # klujax: what sax imports
    assert code == 0, err
    assert out == "'' cpu True"


def test_klujax_imported_inside_an_x64_scope_leaves_the_global_off():
    code, out, err = probe(None, imports="photrain", before="import photrain; jax.enable_x64(True).__enter__(); "
                           "import klujax; jax.enable_x64(False).__enter__()")
    assert code == 0, err
    assert out == "'' cpu False"


def test_cpu_keeps_cpu():
    code, out, err = probe("CPU")
    assert code == 0, err
    assert out == "'cpu' cpu False"


def test_bad_value_fails_at_import_naming_the_variable():
    code, out, err = probe("h200", imports="photrain")
    assert code != 0
    assert "PHOTRAIN_PLATFORM='h200' is not a JAX platform: use one of auto, cpu, gpu" in err


def test_requested_platform_parsing():
    assert _platform.requested_platform({}) is None
    assert _platform.requested_platform({"PHOTRAIN_PLATFORM": " "}) is None
    assert _platform.requested_platform({"PHOTRAIN_PLATFORM": " Cuda "}) == "cuda"
    assert _platform.apply({}) == ""  # unset: auto, JAX's own choice
    with pytest.raises(ValueError, match="PHOTRAIN_PLATFORM"):
        _platform.requested_platform({"PHOTRAIN_PLATFORM": "metal"})
