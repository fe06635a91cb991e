"""Digital controller: weight memory, the update step, the operation ledger."""

from photrain.controller.ledger import Ledger
from photrain.controller.memory import FixedPointMemory, FloatMemory, WeightMemory, make_memory
from photrain.controller.optimizer import SGD
