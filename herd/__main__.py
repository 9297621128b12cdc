"""``python -m herd`` (and ``torchrun -m herd``) run the command line."""

import sys

from herd.cli.main import main

sys.exit(main())
