"""Training: networks, learning rules (backprop, DFA, optical DFA), datasets, runs and checkpoints."""

from photrain.train.algorithms import ALGORITHMS, backprop_grads, dfa_grads, init_feedback
from photrain.train.data import DATASETS, Dataset, load_dataset
from photrain.train.network import accuracy, cross_entropy, forward, init_mlp
from photrain.train.trainer import OpticalConfig, TrainConfig, TrainingDiverged, train
