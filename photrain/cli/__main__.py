"""``python -m photrain.cli``."""

import sys

from photrain.cli import main

sys.exit(main())
