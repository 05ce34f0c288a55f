"""Plain classes the chat screen composes: the logic of the chat without widgets.

They import no Textual, so tests drive them directly; the screen turns what they
report into widget updates.
"""
