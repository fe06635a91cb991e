"""Spiking network trained without labels by STDP, as Shi, Kuzum et al. (Nat. Commun. 2018) built on CBRAM.

Sources (cited by short name below):

* **Shi 2018** -- Y. Shi, L. Nguyen, S. Oh, X. Liu, F. Koushan, J. R. Jameson, D. Kuzum, "Neuroinspired
  unsupervised learning and pruning with subquantum CBRAM arrays", Nat. Commun. 9, 5312 (2018), Fig. 3:
  397 cropped MNIST pixels + a bias input -> 500 output neurons; Poisson input spike trains with rates
  set by pixel intensity; STDP potentiates when the output spike follows the input spike within 10 ms,
  depresses otherwise; potentiation decays exponentially with the current weight, depression is a
  constant, weights stay in [-1, 1]; 3 training epochs.
* **Shi 2019** -- Shi et al., Front. Neurosci. 13, 405 (2019): the same network in detail; output spikes
  follow the Bayesian winner-take-all (WTA) firing model; neurons get a class after training.
* **Nessler 2013** -- B. Nessler, M. Pfeiffer, L. Buesing, W. Maass, "Bayesian computation emerges in
  generic cortical microcircuits through STDP", PLoS Comput. Biol. 9, e1003037 (2013): the stochastic WTA
  (the circuit fires as a Poisson process of total rate R; a spike comes from neuron k with probability
  softmax(u)_k, u_k = sum_i w_ki y_i + w_k0, y_i = 1 while input i spiked within sigma = 10 ms) and the
  rule dw = eta (c e^{-w} - 1) if y_i = 1 at the post spike, -eta otherwise.
* **Habenschuss 2012** -- S. Habenschuss, J. Bill, B. Nessler, "Homeostatic plasticity in Bayesian spiking
  networks as expectation maximization with posterior constraints", NIPS 25 (2012): intrinsic
  excitability adapts so that each of the K neurons fires a fraction 1/K of the WTA spikes (our
  homeostasis; the papers' "scaling of the updates so that no neuron fires more than others").
* **Diehl & Cook 2015** -- P. U. Diehl, M. Cook, Front. Comput. Neurosci. 9, 99 (2015): adaptive thresholds
  as the same homeostatic idea; label assignment (each neuron gets the class it responds to most on the
  training set) and classification (the class whose neurons respond most on average).

Closed forms used here (weights w in [w_min, w_max] = [-1, 1]):

    LTP (pre spike within ``window`` before the post spike):  dw = eta * (exp(w_max - w) - 1)   (>= 0, 0 at w_max)
    LTD (otherwise):                                          dw = -eta * ltd                   (constant)

which is Nessler 2013's rule with c = e^{w_max}, so a synapse whose input is in the window at a fraction
p of its neuron's spikes settles at w = w_max + ln p (clipped at w_min): a log-probability, shifted.
The learning rate anneals geometrically over the run (:func:`eta_schedule`), so that fixed point is an average
over the many images a neuron wins, not its last few. The WTA samples from the membrane potentials

    u_k = sum_i (x_i - xbar) w_ki + w_k0 - theta_k     (:func:`membrane_potential`; xbar: mean input activity)

where the xbar term is a feed-forward inhibition that reads each neuron's weights relative to their mean
(Diehl & Cook 2015's weight normalisation): without it the inputs only carry "pixel on" evidence and the
neurons with the most strong synapses win most images (measured on a 10k-image MNIST run scored without the
thresholds theta: 215 of the 500 neurons won any image; and the thresholds that must make up for it grew to +-50).

What is batched and why it is faithful: learning is sequential over presentations (each output spike
writes its neuron's row, and the next spike sees the new weights), so training scans presentation after
presentation, and within one presentation scans time steps; nothing is averaged over images. Reading
responses with frozen weights (label assignment, test) is batched over images: the presentations are
then independent, and sharing the WTA's output spike *times* within a batch (they do not depend on the
weights or the image, Nessler 2013) leaves each image's response distribution exactly the model's.

The synapses are a :class:`Synapses` of pure callables, so the same network runs on a digital weight
array (default), or in a weight memory (CBRAM) integrating on a digital or optical core through the
controller (:func:`photrain.train.spiking_run.controller_synapses`): ``integrate(state, x, key)`` computes
the currents sum_i w_ki x_i for on/off inputs x (last channel: the bias, always on), and
``update(state, dw, key)`` writes a requested change.

The package, by what its parts are: :mod:`~photrain.train.spiking.config` (every parameter),
:mod:`~photrain.train.spiking.neurons` (neurons and synapses), :mod:`~photrain.train.spiking.rule` (the STDP
rule), :mod:`~photrain.train.spiking.prune` (soft and conventional pruning), :mod:`~photrain.train.spiking.readout`
(responses of the frozen network, label assignment, classification) and :mod:`~photrain.train.spiking.run`
(training and the test). The run through the controller (memory, core, ledger, results.json, plots) is
:mod:`photrain.train.spiking_run`.
"""

from photrain.train.spiking.config import READOUTS, STDPConfig
from photrain.train.spiking.neurons import (
    NetState,
    Synapses,
    digital_synapses,
    foreground_pixels,
    input_weight_sums,
    membrane_potential,
    poisson_probability,
    poisson_spikes,
    sample_winner,
)
from photrain.train.spiking.prune import PRUNE_MODES
from photrain.train.spiking.readout import (
    LabelStats,
    assign_labels,
    classify,
    evaluate,
    label_stats,
    make_responses,
    raster,
)
from photrain.train.spiking.rule import eta_schedule, in_window, pair_dw, stdp_dw
from photrain.train.spiking.run import STDPResult, make_train_chunk, train_stdp

__all__ = ["PRUNE_MODES", "READOUTS", "LabelStats", "NetState", "STDPConfig", "STDPResult", "Synapses",
           "assign_labels", "classify", "digital_synapses", "eta_schedule", "evaluate", "foreground_pixels",
           "in_window", "input_weight_sums", "make_responses", "make_train_chunk", "membrane_potential", "pair_dw",
           "poisson_probability", "poisson_spikes", "raster", "sample_winner", "stdp_dw", "train_stdp"]
