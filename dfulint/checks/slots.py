"""2xx: MCUboot's slots and sectors, judged by MCUboot's own laws (dfulint.model.mcuboot)."""
