"""Update curves of any weight memory: weight and conductances vs pulse number, up then down.

:func:`pulse_response` drives a memory through the protocol only (``init``, ``update`` with
+-``nominal_step`` requests, ``read``, ``conductances``), so it works for every device in
:data:`photrain.memory.MEMORIES`; :func:`plot_pulse_response` draws it on a
:class:`matplotlib.figure.Figure` (the backend is never changed).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

KEY = jax.random.PRNGKey(0)


def pulse_response(memory, *, n_up: int = 300, n_down: int = 300, devices: int = 8, w0: float = 0.0,
                   key=KEY) -> dict[str, np.ndarray]:
    """Apply ``n_up`` requests of +nominal_step, then ``n_down`` of -nominal_step, to ``devices`` weights at w0.

    Returns numpy arrays over steps 0 .. n_up + n_down (step 0 = after ``init``): ``pulse`` (steps,),
    ``w`` (steps, devices) read without noise, and, for memories with conductances, ``g_pos`` and
    ``g_neg`` (steps, devices) in siemens. With a key (default: a fixed one) the stochastic pulse and
    level rounding, cycle-to-cycle and device-to-device noise are in; ``key=None`` rounds
    deterministically and draws no noise (a device whose levels are coarser than one pulse then stays put).
    """
    if int(n_up) < 0 or int(n_down) < 0 or int(devices) < 1:
        raise ValueError(f"n_up, n_down must be >= 0 and devices >= 1; got {n_up}, {n_down}, {devices}")
    step = float(memory.nominal_step)
    if not step > 0:
        raise ValueError(f"memory {memory.name!r} has no programming pulse (nominal_step = {step})")
    k_init, k_run = jax.random.split(key) if key is not None else (None, None)
    state = memory.init(jnp.full((devices,), w0, jnp.float32), k_init)
    requests = jnp.concatenate([jnp.full((int(n_up),), step), jnp.full((int(n_down),), -step)])
    keys = jax.random.split(k_run, requests.shape[0]) if key is not None else None

    def observe(s):
        g = memory.conductances(s)
        gp, gn = (g[0], g[1]) if g is not None else (jnp.zeros(devices), jnp.zeros(devices))
        return memory.read(s), gp, gn

    def body(s, inputs):
        dw, k = inputs
        s = memory.update(s, jnp.full((devices,), dw, jnp.float32), k)
        return s, observe(s)

    @jax.jit
    def run(state, requests, keys):
        return jax.lax.scan(body, state, (requests, keys))[1]

    w, gp, gn = run(state, requests, keys)
    w0_, gp0, gn0 = observe(state)
    out = {"pulse": np.arange(requests.shape[0] + 1),
           "w": np.concatenate([np.asarray(w0_)[None], np.asarray(w)])}
    if memory.conductances(state) is not None:
        out["g_pos"] = np.concatenate([np.asarray(gp0)[None], np.asarray(gp)])
        out["g_neg"] = np.concatenate([np.asarray(gn0)[None], np.asarray(gn)])
    return out


def plot_pulse_response(memory, *, n_up: int = 300, n_down: int = 300, devices: int = 8, w0: float = 0.0,
                        key=KEY, fig=None):
    """Figure of :func:`pulse_response`: conductances (µS) and weight vs request number, up then down.

    Thin lines: individual devices; thick: their mean. Returns a ``matplotlib.figure.Figure``.
    """
    from matplotlib.figure import Figure

    r = pulse_response(memory, n_up=n_up, n_down=n_down, devices=devices, w0=w0, key=key)
    fig = Figure(figsize=(9, 3.4), layout="constrained") if fig is None else fig
    has_g = "g_pos" in r
    axes = fig.subplots(1, 2 if has_g else 1, squeeze=False)[0]
    p = r["pulse"]
    if has_g:
        ax = axes[0]
        for name, colour in (("g_pos", "tab:red"), ("g_neg", "tab:blue")):
            g = r[name] * 1e6
            ax.plot(p, g, color=colour, lw=0.5, alpha=0.4)
            ax.plot(p, g.mean(axis=1), color=colour, lw=2, label="G+" if name == "g_pos" else "G- (reference)"
                    if memory.name == "cbram" else "G-")
        ax.axvline(n_up, color="0.5", ls=":")
        ax.set(xlabel="update request (+1 nominal step, then -1)", ylabel="conductance (µS)",
               title=f"{memory.name}: conductances")
        ax.legend(frameon=False)
    ax = axes[-1]
    ax.plot(p, r["w"], color="k", lw=0.5, alpha=0.4)
    ax.plot(p, r["w"].mean(axis=1), color="k", lw=2)
    ax.axvline(n_up, color="0.5", ls=":")
    ax.set(xlabel="update request (+1 nominal step, then -1)", ylabel="weight", title=f"{memory.name}: weight")
    return fig
