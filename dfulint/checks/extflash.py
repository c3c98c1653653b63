"""3xx: external flash: both images must see the same flash, with working drivers and geometry."""
