"""1xx: partition layout as Partition Manager or the devicetree will place it."""
