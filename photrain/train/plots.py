"""Figures of a training run (matplotlib Figure objects: the caller's backend is never changed)."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def learning_curve_figure(history: list[dict], *, title: str = "") -> Figure:
    """Training loss and validation/test accuracy per epoch (hardware accuracy too when the history has it)."""
    ep = [h["epoch"] for h in history]
    fig = Figure(figsize=(10, 3.6))
    a1, a2 = fig.subplots(1, 2)
    a1.plot(ep, [h["loss"] for h in history], "o-")
    a1.set(xlabel="epoch", ylabel="training loss")
    digital = ", digital" if all("hw_val_acc" in h for h in history) else ""  # say which, when both are drawn
    a2.plot(ep, [100 * h["val_acc"] for h in history], "o-", label=f"validation{digital}")
    a2.plot(ep, [100 * h["test_acc"] for h in history], "s--", label=f"test{digital}")
    for key, label in (("hw_val_acc", "validation, through the hardware"), ("hw_test_acc", "test, through the hardware")):
        if all(key in h for h in history):
            a2.plot(ep, [100 * h[key] for h in history], "^:", label=label)
    a2.set(xlabel="epoch", ylabel="accuracy (%)")
    a2.legend()
    for a in (a1, a2):
        a.grid(alpha=0.3)
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_learning_curve(history: list[dict], path, *, title: str = "") -> None:
    learning_curve_figure(history, title=title).savefig(path, dpi=110)
