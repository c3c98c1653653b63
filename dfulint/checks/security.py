"""7xx: security of the update path."""
