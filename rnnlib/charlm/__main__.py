"""``python -m rnnlib.charlm``: see :mod:`rnnlib.charlm.cli`."""

import sys

from .cli import main

sys.exit(main())
