"""`python -m funcnet` runs the `funcnet` command line."""

import sys

from funcnet.cli import main

sys.exit(main())
