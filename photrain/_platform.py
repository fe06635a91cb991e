"""The JAX platform (GPU by default when there is one) and float64 only where photrain asks for it.

photrain's device models are sax models, and importing sax imports klujax, whose module body runs
``jax.config.update("jax_enable_x64", True)`` and ``jax.config.update("jax_platform_name", "cpu")``: on its own, that
would switch the whole process to float64 and pin every array to the CPU, whatever accelerator is present.

Importing photrain leaves the process as it was (issues 25 and 27): :func:`apply` (run by ``photrain/__init__``)
puts a guard on the import of klujax (a ``sys.meta_path`` finder that does not import anything itself, so
``photrain --help`` stays fast); whenever klujax is imported afterwards, by photrain or by the user's ``import sax``,
the guard reads ``jax_enable_x64`` and ``jax_platform_name`` just before klujax's module body runs and sets them back
right after. x64 stays off unless the user turned it on; photrain's own float64 work is scoped with
``with jax.enable_x64(True):`` (:func:`x64`; the sax circuit solves of :func:`photrain.circuits.circuit` and the
reference solves that compare to them) and cast at the boundary, so a float32 user model stays float32.

``PHOTRAIN_PLATFORM`` (read when photrain is imported):

- unset, empty or ``auto`` (the default): JAX's own choice, a GPU when JAX sees one, else the CPU (or whatever the
  user set through ``JAX_PLATFORMS`` / ``jax_platform_name``);
- ``cpu``, ``gpu``, ``cuda``, ``rocm``, ``tpu``: arrays default to that platform (set at once, and again after klujax's
  import); JAX raises at the first array if the platform is not there (the command says it in one line:
  :func:`check_available`).

Limits: a process that imported klujax (or sax) *before* photrain has already been switched; photrain cannot know
the values from before and leaves x64 as it finds it (an explicit ``PHOTRAIN_PLATFORM`` is still applied). klujax's
sparse solver (sax circuits solved with the ``klu`` backend) runs on the CPU and in float64 only; the training path
(weight banks, meshes, DFA) uses closed forms and dense algebra on the default device in the user's dtype.
"""

import importlib.abc
import os
import sys

ENV = "PHOTRAIN_PLATFORM"
PLATFORMS = ("auto", "cpu", "gpu", "cuda", "rocm", "tpu")


def requested_platform(environ=os.environ):
    """The platform named by ``PHOTRAIN_PLATFORM`` (lower case), or None when unset or empty (which means auto).

    Raises ValueError naming the variable and the accepted values for anything else.
    """
    value = environ.get(ENV, "").strip().lower()
    if not value:
        return None
    if value not in PLATFORMS:
        raise ValueError(f"{ENV}={environ[ENV]!r} is not a JAX platform: use one of {', '.join(PLATFORMS)} "
                         f"(or leave it unset: auto, the GPU when JAX sees one)")
    return value


class _Restoring(importlib.abc.Loader):
    """klujax's own loader, with ``jax_enable_x64`` and ``jax_platform_name`` set back after its module body."""

    def __init__(self, loader, platform):
        self.loader, self.platform = loader, platform

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        import jax

        x64, name = jax.enable_x64.get_global(), jax.config.read("jax_platform_name")  # global, not a `with` scope
        try:
            self.loader.exec_module(module)
        finally:
            jax.config.update("jax_enable_x64", x64)
            jax.config.update("jax_platform_name", name if self.platform is None else self.platform)


class KlujaxGuard(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder that hands klujax's spec back with a :class:`_Restoring` loader (then retires)."""

    def __init__(self, platform):
        self.platform = platform

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "klujax":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Restoring(spec.loader, self.platform)
                return spec
        return None


def apply(environ=os.environ):
    """Guard klujax's import (see the module docstring) and set ``jax_platform_name`` from ``PHOTRAIN_PLATFORM``.

    Returns the platform set, '' for auto (JAX's own choice, nothing changed). Imports jax only for an explicit
    platform. The guard is installed once (a second call replaces it), before the variable is checked: a bad value
    raises ValueError and still leaves x64 and the platform as they were.
    """
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, KlujaxGuard)]
    guard = KlujaxGuard(None)
    if "klujax" not in sys.modules:
        sys.meta_path.insert(0, guard)
    platform = requested_platform(environ)
    guard.platform = None if platform in (None, "auto") else platform
    if guard.platform is not None:
        import jax

        jax.config.update("jax_platform_name", guard.platform)
    return guard.platform or ""


def x64():
    """``with x64():`` float64 (and complex128) for the arrays made inside, in this thread only: ``jax.enable_x64``.

    Never a process-wide switch; jitted functions keep one compiled version per x64 value."""
    import jax

    return jax.enable_x64(True)


def scoped_x64(func):
    """``func`` (a sax circuit function: klujax solves in float64 only) run under :func:`x64`.

    Called on concrete values it returns float64/complex128, whatever the process's x64 setting. Called on traced
    values with x64 off (inside the caller's ``jax.jit``, ``jax.grad``, ``jax.vmap``) the boundary is cast: the
    traced inputs enter in float64, the outputs leave in the caller's precision (complex64), and the gradient is a
    ``jax.custom_vjp`` whose backward pass also runs under :func:`x64` and returns cotangents in the inputs' dtypes
    (reverse mode only: ``jax.jvp``/``jacfwd`` need x64 switched on by the caller)."""
    import functools

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        import jax

        if jax.config.jax_enable_x64:  # the caller's own x64 (or a scope already): nothing to cast
            return func(*args, **kwargs)
        leaves, tree = jax.tree_util.tree_flatten((args, kwargs))
        where = [i for i, leaf in enumerate(leaves) if isinstance(leaf, jax.core.Tracer)]
        if not where:
            with x64():
                return func(*args, **kwargs)
        return _traced_x64(func, leaves, tree, where)

    return wrapped


def _traced_x64(func, leaves, tree, where):
    """:func:`scoped_x64` on traced inputs: float64 inside, the caller's dtypes at the boundary, a custom VJP."""
    import jax
    import jax.numpy as jnp

    dtypes = [jnp.result_type(leaves[i]) for i in where]

    def call(*traced):
        full = list(leaves)
        for i, v in zip(where, traced, strict=True):
            full[i] = v
        args, kwargs = jax.tree_util.tree_unflatten(tree, full)
        return func(*args, **kwargs)

    def wide(values):
        return [v.astype(jnp.promote_types(d, jnp.float64)) if jnp.issubdtype(d, jnp.inexact) else v
                for v, d in zip(values, dtypes, strict=True)]

    def narrow(tree_out):  # outside the scope: complex128 -> complex64, float64 -> float32
        return jax.tree_util.tree_map(lambda o: o.astype(jax.dtypes.canonicalize_dtype(o.dtype)), tree_out)

    @jax.custom_vjp
    def run(*traced):
        with x64():
            out = call(*wide(traced))
        return narrow(out)

    def fwd(*traced):
        with x64():
            out, vjp = jax.vjp(call, *wide(traced))
        return narrow(out), vjp

    def bwd(vjp, ct):
        with x64():
            grads = vjp(jax.tree_util.tree_map(lambda c: c.astype(jnp.promote_types(c.dtype, jnp.float64)), ct))
        return tuple(g.astype(d) if jnp.issubdtype(d, jnp.inexact) else g for g, d in zip(grads, dtypes, strict=True))

    run.defvjp(fwd, bwd)
    return run(*[leaves[i] for i in where])


def launched_by_cli(argv=None) -> bool:
    """Whether this process is the ``photrain`` command (the console script or ``python -m photrain.cli``): then a bad
    ``PHOTRAIN_PLATFORM`` is reported by the command as one line (:func:`photrain.cli.main`), not as an import traceback."""
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
