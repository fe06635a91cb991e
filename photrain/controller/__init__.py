"""Digital controller: weight memory, the update step, the operation ledger and its energy/latency model."""

from photrain.controller.energy import PRESETS, SOURCES, CoreSpec, EnergyParams, EnergyReport, energy_report, load_preset
from photrain.controller.ledger import Ledger
from photrain.controller.memory import FixedPointMemory, FloatMemory, WeightMemory, make_memory
from photrain.controller.optimizer import SGD
