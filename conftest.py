"""pytest's environment for the whole repository (the tests and the notebooks nbmake runs: the notebooks' kernels
inherit it): the data directory, a headless matplotlib, and the compilation settings below. Set before jax is
imported anywhere (tests/conftest.py imports it)."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
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
