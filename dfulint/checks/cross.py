"""5xx: cross-image consistency and settings sysbuild overrides."""
