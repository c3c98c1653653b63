"""dfulint: a linter for firmware-update configuration in NCS, Zephyr and MCUboot projects."""

__version__ = "0.1.0"
