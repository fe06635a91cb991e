"""The STDP rule (Shi 2018 Fig. 3b-c, in Nessler 2013's form): the window, the weight change at a post spike and
the learning rate's annealing schedule. Sources: :mod:`photrain.train.spiking`."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from photrain.train.spiking.config import STDPConfig
from photrain.train.spiking.neurons import F32


def in_window(steps_since_pre, window_steps: int):
    """STDP window (Shi 2018 Fig. 3b): True where the latest pre spike is 0..window before the post spike."""
    return steps_since_pre <= window_steps


def stdp_dw(w, pre_in_window, *, eta: float, ltd: float, w_max: float):
    """STDP weight change at a post spike: LTP eta (e^{w_max - w} - 1) if pre in window, else LTD -eta ltd.

    Shi 2018 Fig. 3c (LTP decays exponentially with the current weight, LTD constant), in Nessler 2013's
    form dw = eta (c e^{-w} - 1) with c = e^{w_max}, which makes the potentiation vanish at w_max.
    """
    return jnp.where(pre_in_window, eta * jnp.expm1(w_max - w), -eta * ltd)


def pair_dw(w, t_pre: float, t_post: float, cfg: STDPConfig):
    """The change one post spike at ``t_post`` makes to a synapse whose latest pre spike was at ``t_pre`` (s)."""
    since = jnp.round((jnp.asarray(t_post) - jnp.asarray(t_pre)) / cfg.dt)
    pre = (since >= 0) & in_window(since, cfg.window_steps)
    return stdp_dw(jnp.asarray(w, F32), pre, eta=cfg.eta, ltd=cfg.ltd, w_max=cfg.w_max)


def eta_schedule(cfg: STDPConfig, image_index, total_images: int):
    """Learning rate of the presentation with 0-based ``image_index`` out of ``total_images`` (all epochs).

    Constant ``cfg.eta`` when ``cfg.eta_final`` is None; otherwise geometric annealing from ``eta`` (first
    image) to ``eta_final`` (last image): eta_n = eta (eta_final / eta)^(n / (total - 1)).
    """
    n = np.asarray(image_index, np.float64)
    if cfg.eta_final is None or total_images <= 1:
        return np.full(n.shape, cfg.eta, np.float32)
    frac = np.clip(n / (total_images - 1), 0.0, 1.0)
    return (cfg.eta * (cfg.eta_final / cfg.eta) ** frac).astype(np.float32)
