"""The doors to Poe: one module per API, the wire they share, and the registry that
describes each of them once."""
