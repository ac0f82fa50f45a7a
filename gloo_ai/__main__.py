"""``python -m gloo_ai``: the ``gloo`` command."""

import sys

from .cli import main

sys.exit(main())
