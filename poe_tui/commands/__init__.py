"""The plain commands (`ask`, `models`, `balance`, `usage`, `key`) over the core."""
