"""Files the tests read from the repository, named once so a test can move folders."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_IMAGE = REPO_ROOT / "assets" / "demo-image.png"
SCRIPTS = REPO_ROOT / "scripts"
# Runs poe-tui with test-only hooks in a real terminal (see its docstring).
LAUNCHER = Path(__file__).with_name("launch_with_hooks.py")
