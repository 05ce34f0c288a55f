"""poe-tui: a full-screen terminal chat client for the Poe API."""

__version__ = "0.1.0"
