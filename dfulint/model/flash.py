"""Flash devices and the partitions the build will place on them."""
from __future__ import annotations


from dfulint.core import Span
from dfulint.records import NamedTuple

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional


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


class Partition:
    """One partition of a flash map: name, address, size, region, and where it was defined."""
    __slots__ = ("name", "address", "size", "region", "span_of", "static", "source", "where", "size_at",
                 "address_at", "label")

    name: str
    address: int                 # absolute, as Partition Manager / the devicetree writes it
    size: int
    region: str                  # the device name it lives on (FlashDevice.name)
    span_of: list[str]           # for containers: the partitions it spans
    static: bool                 # pinned in a pm_static file / written in DTS
    source: str                  # why it has this address/size: "pm_static.yml:12", "dynamic: ...", ...
    where: Optional[Span]        # where its definition is written, if in the project
    size_at: Optional[Span]      # where its size is written
    address_at: Optional[Span]
    label: str                   # DTS label (slot0_partition, ...) for fixed-partitions layouts

    def __init__(self, name: str, address: int, size: int, region: str = "flash_primary",
                 span_of: Optional[list[str]] = None, static: bool = False, source: str = "",
                 where: Optional[Span] = None, size_at: Optional[Span] = None, address_at: Optional[Span] = None,
                 label: str = "") -> None:
        self.name = name
        self.address = address
        self.size = size
        self.region = region
        self.span_of = [] if span_of is None else span_of
        self.static = static
        self.source = source
        self.where = where
        self.size_at = size_at
        self.address_at = address_at
        self.label = label

    def __repr__(self) -> str:
        return (f"Partition({self.name!r}, address={self.address!r}, size={self.size!r}, region={self.region!r}, "
                f"span_of={self.span_of!r}, static={self.static!r}, source={self.source!r})")

    @property
    def end(self) -> int:
        return self.address + self.size

    @property
    def is_container(self) -> bool:
        return bool(self.span_of)


class FlashMap:
    """A target's partitions per flash device, and how dfulint learned them."""
    __slots__ = ("devices", "partitions", "origin", "notes", "errors")

    devices: dict[str, FlashDevice]
    partitions: list[Partition]
    origin: str                  # "build", "pm_static", "pm_dynamic", "dts", "none"
    notes: list[str]             # placement remarks (what PM did and why)
    # build failures Partition Manager itself will raise for this input: (message, where)
    errors: list[tuple[str, Optional[Span]]]

    def __init__(self, devices: Optional[dict[str, FlashDevice]] = None, partitions: Optional[list[Partition]] = None,
                 origin: str = "", notes: Optional[list[str]] = None,
                 errors: Optional[list[tuple[str, Optional[Span]]]] = None) -> None:
        self.devices = {} if devices is None else devices
        self.partitions = [] if partitions is None else partitions
        self.origin = origin
        self.notes = [] if notes is None else notes
        self.errors = [] if errors is None else errors

    def __repr__(self) -> str:
        return f"FlashMap(origin={self.origin!r}, devices={list(self.devices)}, partitions={self.partitions!r})"

    def get(self, name: str) -> Optional[Partition]:
        for p in self.partitions:
            if p.name == name:
                return p
        return None

    def on(self, device: str) -> list[Partition]:
        return sorted((p for p in self.partitions if p.region == device), key=lambda p: (p.address, -p.size))

    def device_of(self, part: Partition) -> Optional[FlashDevice]:
        return self.devices.get(part.region)
