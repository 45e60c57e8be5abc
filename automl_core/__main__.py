"""``python -m automl_core``: the ``automl`` command line (:mod:`automl_core.interfaces.cli`)."""

from __future__ import annotations

import sys

from .interfaces.cli import main

if __name__ == "__main__":
    sys.exit(main())
