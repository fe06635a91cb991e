"""photrain.nn: train any Equinox model on the simulated hardware.

    hw = Hardware(core="bank", memory="pcm-3t1c")          # what the layers run on
    model = convert(eqx_model, hw)                         # eqx.nn.Linear / Conv2d -> Dense / Conv2d
    model, history = fit(model, optax.adam(1e-3), (x, y), epochs=1, batch_size=32, key=key)
    evaluate(model, x_test, y_test)                        # through the hardware (or through="digital")
    evaluate(elapse(model, 3600), x_test, y_test, drift_compensation=True)
    save("model.npz", model); model = load("model.npz")
    save_checkpoint("ck.npz", model, opt_state, {"epoch": 3})   # + optimiser state; load_checkpoint resumes

Hardware layers keep their weights in a weight memory held through the controller
(:mod:`photrain.controller`), which programs the cores, runs the products and writes the optimiser's
updates into the memory; nothing here touches a core or a memory directly.
"""

from photrain.nn.checkpoint import load_checkpoint, save_checkpoint
from photrain.nn.convert import UNSUPPORTED, convert
from photrain.nn.evaluate import elapse, evaluate, predict
from photrain.nn.fit import cross_entropy, fit
from photrain.nn.hardware import Hardware
from photrain.nn.insitu import insitu_grad
from photrain.nn.io import load, save
from photrain.nn.layers import Conv2d, Dense, HardwareLayer, hardware_product
from photrain.nn.mesh import MZIMesh
from photrain.nn.tree import hardware_layers

__all__ = ["Hardware", "Dense", "Conv2d", "HardwareLayer", "hardware_product", "convert", "fit", "evaluate",
           "predict", "elapse", "save", "load", "cross_entropy", "hardware_layers", "UNSUPPORTED",
           "MZIMesh", "insitu_grad", "save_checkpoint", "load_checkpoint"]
