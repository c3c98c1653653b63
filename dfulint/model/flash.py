"""Flash devices and the partitions the build will place on them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from dfulint.core import Span
from dfulint.records import NamedTuple


class FlashDevice(NamedTuple):
    """One flash device as an image's driver presents it."""

    name: str                    # "flash_primary" (internal), "external_flash", "ram_flash", ...
    base: int                    # address of the first byte as partitions are addressed
    size: int                    # bytes
    page_size: int               # the driver's layout page: what MCUboot counts as a sector
    write_block: int = 4         # bytes; decides MCUboot's trailer size
    erase_size: Optional[int] = None  # smallest erase unit, when it differs from page_size
    node: str = ""               # devicetree node (label or path) behind it, if any
    compatible: str = ""         # "soc-nv-flash", "jedec,spi-nor", "nordic,qspi-nor", ...
    source: str = ""             # where the geometry comes from, for messages
    span: Optional[Span] = None  # where the device (its size) is written, if in the project

    @property
    def end(self) -> int:
        return self.base + self.size


@dataclass(eq=False)
class Partition:
    """One partition of a flash map: name, address, size, region, and where it was defined."""
    name: str
    address: int                 # absolute, as Partition Manager / the devicetree writes it
    size: int
    region: str = "flash_primary"   # the device name it lives on (FlashDevice.name)
    span_of: list[str] = field(default_factory=list)   # for containers: the partitions it spans
    static: bool = False         # pinned in a pm_static file / written in DTS
    source: str = ""             # why it has this address/size: "pm_static.yml:12", "dynamic: ...", ...
    where: Optional[Span] = None     # where its definition is written, if in the project
    size_at: Optional[Span] = None   # where its size is written
    address_at: Optional[Span] = None
    label: str = ""              # DTS label (slot0_partition, ...) for fixed-partitions layouts

    @property
    def end(self) -> int:
        return self.address + self.size

    @property
    def is_container(self) -> bool:
        return bool(self.span_of)


@dataclass(eq=False)
class FlashMap:
    """A target's partitions per flash device, and how dfulint learned them."""
    devices: dict[str, FlashDevice] = field(default_factory=dict)
    partitions: list[Partition] = field(default_factory=list)
    origin: str = ""             # "build", "pm_static", "pm_dynamic", "dts", "none"
    notes: list[str] = field(default_factory=list)   # placement remarks (what PM did and why)
    # build failures Partition Manager itself will raise for this input: (message, where)
    errors: list[tuple[str, Optional[Span]]] = field(default_factory=list)

    def get(self, name: str) -> Optional[Partition]:
        for p in self.partitions:
            if p.name == name:
                return p
        return None

    def on(self, device: str) -> list[Partition]:
        return sorted((p for p in self.partitions if p.region == device), key=lambda p: (p.address, -p.size))

    def device_of(self, part: Partition) -> Optional[FlashDevice]:
        return self.devices.get(part.region)
