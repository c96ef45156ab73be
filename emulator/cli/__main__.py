"""`python -m emulator.cli`: the same as `ccflink`."""

import sys

from emulator.cli import main

sys.exit(main())
