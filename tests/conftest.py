import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PHOTRAIN_DATA_DIR", str(ROOT.parent / "shared" / "datasets"))
os.environ.setdefault("MPLBACKEND", "Agg")
# JAX's persistent compilation cache, shared by the test workers (pytest-xdist) and the notebooks' kernels (they
# inherit this environment): most of the suite's time is XLA compiling the same training steps again for each
# test; a hit returns the same executable, so results are unchanged. Kept in .jax_cache/ (git-ignored) between runs.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(ROOT / ".jax_cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.3")  # the tiny eager-op programs cost more to
# write than to compile again (measured: caching every program made tests/test_nn.py + test_training.py slower)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")
# XLA's expensive optimisation passes off for the tests: they compile many small programs once each, where
# compiling dominates (measured on three slow test files: 57 s -> 41 s of CPU). Programs still compute the same
# operations in IEEE arithmetic; runs outside the tests (the CLI, benchmarks) keep XLA's defaults.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
# XLA:CPU's MLIR fusion emitters off for the tests (the older LLVM IR emitters compile faster): same operations, same
# IEEE arithmetic; measured on tests/test_nn.py + tests/test_training.py cold, one process: 110.6 s -> 72.1 s wall.
if "xla_cpu_use_fusion_emitters" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_use_fusion_emitters=false").strip()

import jax  # noqa: E402, I001  (after the cache settings: jax reads them when imported)
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import photrain  # noqa: E402, F401  (before sax: photrain guards klujax's import, which would switch x64 on)
import sax  # noqa: E402

sax.set_port_naming_strategy("optical")


@pytest.fixture
def x64():
    """jax float64 for one test only (``jax.enable_x64`` context): a global switch would change the dtypes of
    every later test, so results would depend on test order."""
    with jax.enable_x64(True):
        yield


@pytest.fixture(scope="module", autouse=True)
def _module_x64(request):
    """A module that sets ``X64 = True`` runs in float64, scoped to it (``jax.enable_x64``, entered before its
    module-scoped fixtures build cores or models): the closed-form physics checked to 1e-9..1e-12 against float64
    references. photrain itself leaves x64 off; its float32 accuracy is checked in tests/test_x64.py."""
    if getattr(request.module, "X64", False):
        with jax.enable_x64(True):
            yield
    else:
        yield


@pytest.fixture(autouse=True)
def _x64_unchanged():
    """Fail the test that leaves jax's x64 flag changed for the rest of the run (and restore it).

    photrain is imported before sax (above), so klujax's import leaves x64 off, as for a user: every test starts
    with x64 off and photrain scopes float64 to its own solves.
    """
    before = jax.config.jax_enable_x64
    yield
    if jax.config.jax_enable_x64 != before:
        jax.config.update("jax_enable_x64", before)
        pytest.fail(f"this test left jax x64 {'on' if not before else 'off'} for the rest of the run; "
                    "use the x64 fixture (a context manager) instead")


@pytest.fixture
def wl_sweep():
    return np.linspace(1.50, 1.60, 201)


def dense(sdict):
    """(S, ports) with S[..., i, j] = output i for input j, as a NumPy array."""
    s, port_map = sax.sdense(sdict)
    ports = sorted(port_map, key=port_map.get)
    return np.asarray(s), ports


@pytest.fixture
def seeded_heater():
    """A builder: the clean ``heater_straight`` cell plus extra rectangles (layer, x0, y0, x1, y1) in µm (DRC seeds)."""
    import gdsfactory as gf

    from photrain.layout.cells import heater_straight
    from photrain.layout.pdk import activate_pdk

    def build(*shapes):
        activate_pdk()
        c = gf.Component()
        c.add_ref(heater_straight())
        for layer, x0, y0, x1, y1 in shapes:
            c.add_polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], layer=layer)
        return c

    return build


def snapshot(folder):
    return {p: (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def refused(argv, capsys, folder, *needles):
    """Run the CLI; assert one line on stderr with every needle, exit 2, and ``folder`` exactly as before."""
    from photrain.cli import main

    before = snapshot(folder)
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:  # argparse
        rc = e.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("photrain"), err
    assert "Traceback" not in err and "internal error" not in err, err
    for n in needles:
        assert n in err, (n, err)
    assert snapshot(folder) == before
    return err


# The files the suite spends the most time in, longest first (seconds of one 2-worker run, --durations, 2026-12-07:
# test_nn 36, test_training 34, test_insitu 32, the 05 notebook 32, ...; the rest follow in collection order).
# pytest-xdist (--dist loadfile) hands whole files to the two workers in this order; longest first keeps the last
# files short, so neither worker idles at the end while the other still runs a long notebook. pytest_configure turns
# off xdist's own reordering (by number of tests per file), which put every one-item notebook at the very end.
LONGEST_FIRST = [
    "tests/test_nn.py", "tests/test_training.py", "tests/test_insitu.py", "notebooks/05_training.ipynb",
    "tests/test_sweep.py", "tests/test_cores_mesh.py", "tests/test_cores_crossbar.py",
    "notebooks/07_equilibrium_propagation.ipynb", "tests/test_cores_bank.py", "notebooks/06_analog_memory.ipynb",
    "tests/test_fuzz.py", "notebooks/09_bring_your_own_model.ipynb", "tests/test_controller.py",
    "notebooks/02_layout.ipynb", "notebooks/11_insitu_mesh_training.ipynb", "tests/test_stdp.py",
    "notebooks/08_stdp_pruning.ipynb", "tests/test_mesh_training.py", "tests/test_conv.py", "tests/test_chip.py",
    "tests/test_inference.py", "notebooks/10_convolution_on_cores.ipynb", "notebooks/01_components_and_circuits.ipynb",
    "tests/test_eqprop.py", "tests/test_platform.py", "tests/test_memory_sparse.py", "tests/test_mixed_precision.py",
    "tests/test_pai2023_helpers.py", "tests/test_memory_rram_cbram.py", "tests/test_x64.py", "tests/test_circuits.py",
    "tests/test_memory_pcm.py", "tests/test_run_folder.py", "tests/test_layout_cells.py", "tests/test_demo.py",
    "tests/test_touchstone.py", "notebooks/04_weight_bank.ipynb", "tests/test_nn_batched.py", "tests/test_energy.py",
    "notebooks/03_mzi_mesh.ipynb",
]


def pytest_configure(config):
    """pytest-xdist's --no-loadscope-reorder, where xdist is loaded (an option in pyproject.toml would break
    ``pytest -p no:xdist``): its files then run in the order below."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    """Order the collected files longest first (:data:`LONGEST_FIRST`), each file's tests in their own order."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}

    def key(item):
        return rank.get(Path(str(item.path)).relative_to(ROOT).as_posix(), len(rank))

    items.sort(key=key)
