"""Opt-in choice of the JAX platform (CPU, GPU) for photrain.

photrain's device models are sax models, and importing sax imports klujax, whose
module body runs ``jax.config.update("jax_platform_name", "cpu")`` (and
``jax_enable_x64 = True``): from then on every array of the process defaults to
the CPU, whatever accelerator is present and whatever ``JAX_PLATFORMS`` says.

Setting the environment variable ``PHOTRAIN_PLATFORM`` before photrain is
imported undoes the CPU pin: photrain then imports klujax itself, first, and
sets ``jax_platform_name`` to the variable's value right after, so a later
``import sax`` (klujax already imported) changes nothing.

- ``PHOTRAIN_PLATFORM=gpu`` (or ``cuda``, ``rocm``, ``tpu``, ``cpu``): arrays default to that
  platform; JAX raises at the first array if the platform is not there.
- ``PHOTRAIN_PLATFORM=auto``: JAX's own default (an accelerator if one is present, else the CPU).
- unset or empty: nothing changes (klujax's CPU pin stays; the default behaviour).

``jax_enable_x64`` stays on: photrain computes in float64 where it says so.
klujax's sparse solver (sax circuits solved with the ``klu`` backend) runs on the CPU only;
the training path (weight banks, meshes, DFA) uses closed forms and dense algebra.
"""

import os

ENV = "PHOTRAIN_PLATFORM"
PLATFORMS = ("auto", "cpu", "gpu", "cuda", "rocm", "tpu")


def requested_platform(environ=os.environ):
    """The platform named by ``PHOTRAIN_PLATFORM`` (lower case), or None when unset or empty.

    Raises ValueError naming the variable and the accepted values for anything else.
    """
    value = environ.get(ENV, "").strip().lower()
    if not value:
        return None
    if value not in PLATFORMS:
        raise ValueError(f"{ENV}={environ[ENV]!r} is not a JAX platform: use one of {', '.join(PLATFORMS)} "
                         f"(or leave it unset to keep the CPU)")
    return value


def apply(environ=os.environ):
    """Import klujax (which pins the CPU) and then set ``jax_platform_name`` from ``PHOTRAIN_PLATFORM``.

    Does nothing, imports nothing, when the variable is unset. Returns the platform set
    ('' for auto: JAX's own choice) or None.
    """
    platform = requested_platform(environ)
    if platform is None:
        return None
    import jax
    import klujax  # noqa: F401  (its import pins jax_platform_name to "cpu"; undone below)

    name = "" if platform == "auto" else platform
    jax.config.update("jax_platform_name", name)
    return name


def launched_by_cli(argv=None) -> bool:
    """Whether this process is the ``photrain`` command (the console script or ``python -m photrain.cli``): then a bad
    ``PHOTRAIN_PLATFORM`` is reported by the command as one line (:func:`photrain.cli.main`), not as an import traceback."""
    import sys

    argv = list(getattr(sys, "orig_argv", sys.argv) if argv is None else argv)
    if "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1] in ("photrain", "photrain.cli")
    return any(os.path.basename(a) == "photrain" for a in argv[:2])


def check_available(environ=os.environ) -> None:
    """Raise ValueError (naming the variable, what JAX found and the fix) when ``PHOTRAIN_PLATFORM`` names a
    platform this machine does not have; nothing for unset, auto or cpu. Call after :func:`apply` (the command does)."""
    platform = requested_platform(environ)
    if platform in (None, "auto", "cpu"):
        return
    import jax

    try:
        jax.devices(platform)
    except RuntimeError:
        found = ", ".join(sorted({d.platform for d in jax.devices("cpu")}))
        raise ValueError(f"{ENV}={environ[ENV]!r}: JAX finds no {platform} device on this machine (it has: {found}); "
                         "unset the variable, or set it to cpu or auto") from None

