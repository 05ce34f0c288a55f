import sys

from poe_tui.cli import main

sys.exit(main())
