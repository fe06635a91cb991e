"""Training: networks, learning rules (backprop, DFA, optical DFA, STDP spiking), datasets, runs and checkpoints.

Learning rules ask the controller (``photrain.controller``) for every product and write;
nothing here touches a core or a memory device directly.
"""

from photrain.train.algorithms import ALGORITHMS, backprop_grads, dfa_grads, init_feedback
from photrain.train.config import CrossbarConfig, MeshConfig, OpticalConfig, TrainConfig
from photrain.train.data import DATASETS, Dataset, load_dataset
from photrain.train.network import accuracy, cross_entropy, forward, init_mlp
from photrain.train.spiking import STDPConfig, STDPResult, train_stdp
from photrain.train.trainer import TrainingDiverged, train
