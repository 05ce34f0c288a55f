"""A faithful local imitation of api.poe.com, for `poe-tui --demo` and for tests.

No Textual here, ever: the server must import and run headless.
"""

from poe_tui.fakepoe.fault_plan import FaultPlan
from poe_tui.fakepoe.server import FakePoeServer
from poe_tui.fakepoe.state import FakePoeState

__all__ = ["FakePoeServer", "FakePoeState", "FaultPlan"]
