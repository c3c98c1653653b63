"""The devicetree an image sees: the board's nodes, then every overlay, merged in build order.

`build_tree` applies parsed files (sources/dts.py) the way dtc merges them: blocks in order,
the last write of a property wins, `/delete-node/` and `/delete-property/` remove what was
there. Labels are global, so a `&label` may name a node defined in any file of the set, earlier
or later. A `&label` that nothing defines still gets a node, at the path "&label", with
`known=False`, so that checks can report what the file wanted to change.

Every property keeps all its writes (`history`) so a finding can name each file that set it.
Nodes from dfulint's knowledge tables (the board DTS is usually not in the project) carry
spans whose path is `KNOWLEDGE_PATH` and line 0.
"""
from __future__ import annotations

import os
from pathlib import Path

from dfulint.core import Span
from dfulint.records import NamedTuple
from dfulint.sources import Problem, read_text
from dfulint.sources.dts import DtsFile, DtsNode, DtsProperty, DtsValue, parse_dts

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional, Sequence, Union

KNOWLEDGE_PATH = Path("<knowledge>")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _hex_bytes(text: str) -> bool:
    """Two or more whitespace-separated pairs of hex digits ("c2 28 17")."""
    pairs = text.split()
    return len(pairs) > 1 and all(len(p) == 2 and p[0] in _HEX_DIGITS and p[1] in _HEX_DIGITS for p in pairs)


def from_knowledge(span: Optional[Span]) -> bool:
    """True when a span stands for a fact from dfulint's tables, not a place in a file."""
    return span is not None and span.path == KNOWLEDGE_PATH


class MergedNode:
    """A devicetree node after every overlay of an image is applied, with each property's history."""
    __slots__ = ("path", "labels", "props", "history", "children", "parent", "spans", "known", "label_order",
                 "deleted_props")

    path: str                     # "/soc/spi@40004000/is25@0" or "&label"
    labels: set
    props: dict                   # name -> effective DtsProperty
    history: dict                 # name -> [DtsProperty] every write, in order
    children: list                # child paths
    parent: Optional[str]
    spans: list                   # every block that contributed
    known: bool
    label_order: list             # labels in the order they were given
    deleted_props: list           # (name, Span) of /delete-property/

    def __init__(self, path: str, labels: Optional[set] = None, props: Optional[dict] = None,
                 history: Optional[dict] = None, children: Optional[list] = None, parent: Optional[str] = None,
                 spans: Optional[list] = None, known: bool = True, label_order: Optional[list] = None,
                 deleted_props: Optional[list] = None) -> None:
        self.path = path
        self.labels = set() if labels is None else labels
        self.props = {} if props is None else props
        self.history = {} if history is None else history
        self.children = [] if children is None else children
        self.parent = parent
        self.spans = [] if spans is None else spans
        self.known = known
        self.label_order = [] if label_order is None else label_order
        self.deleted_props = [] if deleted_props is None else deleted_props

    @property
    def name(self) -> str:
        if self.path == "/":
            return "/"
        return self.path.rsplit("/", 1)[-1]

    @property
    def label(self) -> Optional[str]:
        """The first label given to the node, if any."""
        return self.label_order[0] if self.label_order else None

    @property
    def unit_address(self) -> Optional[int]:
        if "@" not in self.name:
            return None
        try:
            return int(self.name.split("@", 1)[1].split(",")[0], 16)
        except ValueError:
            return None

    def status(self) -> str:
        p = self.props.get("status")
        s = p.as_str() if p is not None else None
        return "okay" if s is None else s

    def compatibles(self) -> list:
        p = self.props.get("compatible")
        return p.as_strs() if p is not None else []

    def okay(self) -> bool:
        return self.status() in ("okay", "ok")

    def prop_int(self, name: str) -> Optional[int]:
        p = self.props.get(name)
        return p.as_int() if p is not None else None

    def __repr__(self) -> str:
        return (f"MergedNode({self.path!r}, labels={sorted(self.labels)}, props={list(self.props)}, "
                f"children={len(self.children)}, known={self.known})")


class DeviceTree:
    def __init__(self) -> None:
        self._nodes: dict = {"/": MergedNode("/")}
        self._labels: dict = {}        # label -> path (live: deleted nodes are removed)
        self._gone_labels: set = set()  # labels whose node was deleted
        self.files: list = []
        self.problems: list = []       # "duplicate-label", "undefined-label", "undefined-path"
        self.evidence = "files"        # "files", "dtlib" (a build's zephyr.dts) or "tree-sitter"

    # -- queries
    def node(self, path_or_label: str) -> Optional[MergedNode]:
        key = path_or_label.strip()
        if key.startswith("&{") and key.endswith("}"):
            key = key[2:-1].strip()
        if key.startswith("/"):
            return self._nodes.get(_norm(key))
        if key.startswith("&"):
            key = key[1:]
        path = self._labels.get(key)
        if path is not None:
            return self._nodes.get(path)
        return self._nodes.get("&" + key)

    def chosen(self, name: str) -> Optional[tuple]:
        ch = self._nodes.get("/chosen")
        if ch is None or name not in ch.props:
            return None
        prop = ch.props[name]
        target = self.resolve_ref(prop.as_ref())
        return target, prop

    def resolve_ref(self, ref: Optional[str]) -> Optional[MergedNode]:
        """A label, "/path" or alias name -> the node, or None if undefined or unknown."""
        if not ref:
            return None
        node = self.node(ref)
        if node is None and not ref.startswith("/"):
            node = self.alias(ref)
        if node is None or not node.known:
            return None
        return node

    def alias(self, name: str) -> Optional[MergedNode]:
        al = self._nodes.get("/aliases")
        if al is None or name not in al.props:
            return None
        ref = al.props[name].as_ref()
        return self.node(ref) if ref else None

    def by_compatible(self, compat: str) -> list:
        return [n for n in self._nodes.values() if compat in n.compatibles()]

    def nodes(self) -> Iterable[MergedNode]:
        return list(self._nodes.values())

    def labels(self) -> dict:
        return dict(self._labels)

    def enabled_path(self, node: Union[MergedNode, str, None]) -> bool:
        if isinstance(node, str):
            node = self.node(node)
        seen = 0
        while node is not None and seen < 10000:
            if not node.okay():
                return False
            node = self._nodes.get(node.parent) if node.parent else None
            seen += 1
        return True

    def parent_of(self, node: MergedNode) -> Optional[MergedNode]:
        return self._nodes.get(node.parent) if node.parent else None

    # -- building
    def set_property(self, path: str, prop) -> None:
        """Give the node at `path` (created if missing) the property `prop`, as a later file would."""
        node = self._get(path)
        node.props[prop.name] = prop
        node.history.setdefault(prop.name, []).append(prop)

    def _get(self, path: str, known: bool = True) -> MergedNode:
        node = self._nodes.get(path)
        if node is not None:
            return node
        if path.startswith("&"):
            head, _, rest = path.partition("/")
            parent_path = None if not rest else path.rsplit("/", 1)[0]
        else:
            parent_path = "/" if path.count("/") == 1 else path.rsplit("/", 1)[0]
        node = MergedNode(path, known=known, parent=parent_path)
        self._nodes[path] = node
        if parent_path is not None:
            parent = self._get(parent_path, known)
            parent.children.append(path)
        return node

    def _add_label(self, node: MergedNode, label: str, span: Optional[Span]) -> None:
        have = self._labels.get(label)
        if have is not None and have != node.path and have in self._nodes:
            self.problems.append(Problem(
                "duplicate-label", span or Span(KNOWLEDGE_PATH, 0, 0),
                f"label '{label}' is already on {have}; dtc stops with 'Duplicate label'",
                "rename one of the labels"))
            return
        self._labels[label] = node.path
        if label not in node.labels:
            node.labels.add(label)
            node.label_order.append(label)

    def _delete(self, path: str) -> None:
        node = self._nodes.get(path)
        if node is None:
            return
        stack = [path]
        doomed = []
        while stack:
            p = stack.pop()
            n = self._nodes.get(p)
            if n is None:
                continue
            doomed.append(p)
            stack.extend(n.children)
        gone = set(doomed)
        for p in doomed:
            self._nodes.pop(p, None)
        for lab in [lab for lab, p in self._labels.items() if p in gone]:
            del self._labels[lab]
            self._gone_labels.add(lab)
        if node.parent and node.parent in self._nodes:
            par = self._nodes[node.parent]
            par.children = [c for c in par.children if c != path]


def _norm(path: str) -> str:
    path = "/" + "/".join(p for p in path.split("/") if p)
    return path


def _join(parent: str, name: str) -> str:
    return "/" + name if parent == "/" else f"{parent}/{name}"


# --------------------------------------------------------------------------------------------
# Base nodes (knowledge tables) -> properties
# --------------------------------------------------------------------------------------------

def _knowledge_prop(name: str, value: Any, source: str) -> DtsProperty:
    span = Span(KNOWLEDGE_PATH, 0, 0)
    if value is True or value is None:
        values: list = []
    elif isinstance(value, bool):
        values = []
    elif isinstance(value, int):
        values = [DtsValue("cells", f"<{value:#x}>", [value], span)]
    elif isinstance(value, str) and _hex_bytes(value):
        # tables write byte arrays as text: jedec-id: "c2 28 17"
        data = bytes.fromhex(value)
        values = [DtsValue("bytes", f"[{value.strip()}]", list(data), span)]
    elif isinstance(value, str):
        values = [DtsValue("string", f'"{value}"', [value], span)]
    elif isinstance(value, (bytes, bytearray)):
        values = [DtsValue("bytes", "[" + " ".join(f"{b:02x}" for b in value) + "]",
                           list(value), span)]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        values = [DtsValue("string", f'"{v}"', [v], span) for v in value]
    elif isinstance(value, (list, tuple)):
        items = [v if isinstance(v, int) else str(v) for v in value]
        values = [DtsValue("cells", "<" + " ".join(str(i) for i in items) + ">", items, span)]
    else:
        values = [DtsValue("expr", str(value), [str(value)], span)]
    p = DtsProperty(name, values, span, span)
    p.source = source      # type: ignore[attr-defined]
    return p


def _apply_base(tree: DeviceTree, base: Any) -> None:
    path = getattr(base, "path", None) or ""
    label = getattr(base, "label", None) or ""
    bus = getattr(base, "bus", None) or ""
    source = str(getattr(base, "source", "") or "dfulint knowledge")
    if not path.startswith("/"):
        name = path or label or "node"
        bus_node = tree.node(bus) if bus else None
        parent = bus_node.path if bus_node is not None and bus_node.known else \
            (_join("/", bus) if bus else "/")
        path = _join(parent, name)
    path = _norm(path)
    node = tree._get(path)
    if bus and path != "/":
        parent = tree._get(node.parent or "/")
        if tree.node(bus) is None and parent.path != "/":
            tree._add_label(parent, bus, None)
    if label:
        tree._add_label(node, label, None)
    compat = getattr(base, "compatible", None)
    props = dict(getattr(base, "props", None) or {})
    if compat:
        props.setdefault("compatible", compat)
    status = getattr(base, "status", None)
    if status:
        props.setdefault("status", status)
    for name, value in props.items():
        if value is False:
            continue
        p = _knowledge_prop(name, value, source)
        node.props[name] = p
        node.history.setdefault(name, []).append(p)


# --------------------------------------------------------------------------------------------
# Applying files
# --------------------------------------------------------------------------------------------

def _block_targets(tree: DeviceTree, roots: list) -> list:
    """The path each root block applies to, resolving labels globally (fixed point)."""
    labels = dict(tree._labels)
    targets: list = [None] * len(roots)
    defined_by: dict = {}

    def record(i: int, base_path: str) -> None:
        targets[i] = base_path
        for node, rel in roots[i].walk():
            path = base_path if not rel else _join(base_path, rel)
            for lab in node.labels:
                if lab not in labels:
                    labels[lab] = path
                    defined_by[lab] = (i, node)

    def resolve(i: int) -> Optional[str]:
        r = roots[i]
        if r.ref is None:
            return "/"
        if r.ref.startswith("/"):
            return _norm(r.ref)
        return labels.get(r.ref)

    pending = list(range(len(roots)))
    while pending:
        progress = True
        while progress:
            progress = False
            rest = []
            for i in pending:
                t = resolve(i)
                if t is None:
                    rest.append(i)
                else:
                    record(i, t)
                    progress = True
            pending = rest
        if pending:
            i = pending.pop(0)            # an undefined label: a placeholder node
            record(i, "&" + roots[i].ref)
    return targets


def build_tree(files: Sequence[DtsFile], base_nodes: Iterable = ()) -> DeviceTree:
    """Merge parsed files (board DTS first, then overlays) over the base nodes. Never raises."""
    tree = DeviceTree()
    for base in base_nodes or ():
        try:
            _apply_base(tree, base)
        except (AttributeError, TypeError, ValueError):
            continue
    roots: list = []
    for f in files:
        tree.files.append(f.path)
        roots.extend(f.roots)
    targets = _block_targets(tree, roots)
    for root, target in zip(roots, targets):
        if target is None:
            continue
        known = True
        if target.startswith("&"):
            known = False
            tree.problems.append(Problem(
                "undefined-label", root.span,
                f"'&{root.ref}' refers to a label that no file or board node defines",
                "check the label's spelling against the board's devicetree"))
        elif root.ref is not None and root.ref.startswith("/") and target not in tree._nodes:
            known = False
            tree.problems.append(Problem(
                "undefined-path", root.span, f"'&{{{root.ref}}}': no node at {target}",
                "check the path against the board's devicetree"))
        elif root.ref is not None and not target.startswith("&") and \
                root.ref in tree._labels and tree._labels[root.ref] != target:
            target = tree._labels[root.ref]
        _apply_block(tree, root, target, known)
    return tree


def _apply_block(tree: DeviceTree, block: DtsNode, target: str, known: bool) -> None:
    if block.ref is not None and not block.ref.startswith("/") and not target.startswith("&"):
        # a label can have been deleted since; then the block has nothing to apply to
        if block.ref in tree._gone_labels and block.ref not in tree._labels:
            known = False
            target = "&" + block.ref
    stack = [(block, target, known)]
    while stack:
        dn, path, k = stack.pop()
        node = tree._get(path, known=k)
        if dn.span is not None:
            node.spans.append(dn.span)
        if path.startswith("&") and "/" not in path and path[1:] not in tree._labels:
            tree._add_label(node, path[1:], dn.span)     # the placeholder answers to its label
        for lab in dn.labels:
            tree._add_label(node, lab, dn.span)
        for name, span in dn.deleted_props:
            if name in node.props:
                del node.props[name]
            node.deleted_props.append((name, span))
        for what, span in dn.deleted_nodes:
            if what.startswith("&"):
                victim = tree.node(what)
                if victim is not None:
                    tree._delete(victim.path)
                else:
                    tree.problems.append(Problem(
                        "undefined-label", span,
                        f"/delete-node/ {what}: no file or board node defines that label",
                        "check the label's spelling against the board's devicetree"))
            elif what.startswith("/"):
                tree._delete(_norm(what))
            else:
                cands = [c for c in node.children if c.rsplit("/", 1)[-1] == what]
                if not cands and "@" not in what:
                    cands = [c for c in node.children
                             if c.rsplit("/", 1)[-1].split("@", 1)[0] == what]
                for c in cands:
                    tree._delete(c)
            node = tree._get(path, known=k)     # re-get: the node itself may have been deleted
        for name, prop in dn.props.items():
            node.props[name] = prop
            node.history.setdefault(name, []).append(prop)
        for child in reversed(dn.children):
            stack.append((child, _join(path, child.name), True))


# --------------------------------------------------------------------------------------------
# Partitions
# --------------------------------------------------------------------------------------------

class DtsPartition(NamedTuple):
    """A fixed-partitions child node: label, address and size, on which flash device."""
    label: Optional[str]
    name: str
    path: str
    address: Optional[int]
    size: Optional[int]
    flash_node: str              # the flash device node holding the fixed-partitions
    span: Span
    reg_span: Span
    node: Optional[MergedNode] = None
    label_prop: Optional[str] = None     # `label = "image-0"` (NCS 1.x style), if written
    mapped: bool = False                 # a `zephyr,mapped-partition` node (Zephyr 4.4 / NCS 3.4 format)
    parent: Optional[str] = None         # the mapped partition this one is nested in (its path)

    @property
    def end(self) -> Optional[int]:
        if self.address is None or self.size is None:
            return None
        return self.address + self.size


def _cells_value(cells: list) -> Optional[int]:
    value = 0
    for c in cells:
        if c is None:
            return None
        value = (value << 32) | (c & 0xFFFFFFFF)
    return value


def _cells_of(node: MergedNode, name: str, default: int, high: int) -> int:
    v = node.prop_int(name)
    return default if v is None or not 0 <= v <= high else v


def _partition(tree: DeviceTree, child: MergedNode, ac: int, sc: int, flash: str,
               mapped: bool = False) -> DtsPartition:
    reg = child.props.get("reg")
    span = child.spans[0] if child.spans else (reg.span if reg else Span(KNOWLEDGE_PATH, 0, 0))
    address = size = None
    if reg is not None:
        cells = reg.as_ints()
        if len(cells) >= ac + sc:
            address = _cells_value(cells[:ac])
            size = _cells_value(cells[ac:ac + sc]) if sc else None
    lp = child.props.get("label")
    return DtsPartition(
        child.label, child.name, child.path, address, size, flash, span,
        reg.value_span if reg is not None else span, child,
        lp.as_str() if lp is not None else None, mapped)


MAPPED = "zephyr,mapped-partition"


def _is_mapped(node: Optional[MergedNode]) -> bool:
    return node is not None and MAPPED in node.compatibles()


def _translate(node: MergedNode, addr: int) -> Optional[int]:
    """`addr`, an address in `node`'s child address space, in the space of `node`'s parent, through
    `node`'s `ranges` (the DT spec's rule as Zephyr's edtlib applies it); None when edtlib stops
    translating there: no `ranges`, or an address no `<child parent length>` entry covers."""
    rp = node.props.get("ranges")
    if rp is None:
        return None
    cells = rp.as_ints()
    if not cells and not rp.values:
        return addr                  # `ranges;`: the same address space
    ac = _cells_of(node, "#address-cells", 1, 2) or 1
    pac = ac                         # partitions and their memory node use one address cell throughout
    sc = _cells_of(node, "#size-cells", 1, 2) or 1
    step = ac + pac + sc
    if not cells or len(cells) % step or any(c is None for c in cells):
        return None
    for i in range(0, len(cells), step):
        child = _cells_value(cells[i:i + ac])
        parent = _cells_value(cells[i + ac:i + ac + pac])
        length = _cells_value(cells[i + ac + pac:i + step])
        if child is not None and parent is not None and length is not None and child <= addr < child + length:
            return parent + addr - child
    return None


def _mapped_place(tree: DeviceTree, node: MergedNode, addr: Optional[int]) -> Optional[tuple]:
    """Where a `zephyr,mapped-partition` node sits: (its address as an offset into its memory node,
    the memory node's path, the mapped partition it is nested in or None). Partitions sit directly in
    the memory node, in a grouping node (`partitions { ranges; ... }`) or in a parent mapped partition
    whose `ranges` maps their addresses (zephyrproject-rtos/zephyr
    dts/bindings/mtd/zephyr,mapped-partition.yaml); the memory node is the first ancestor that is
    neither. The offset is DT_MAPPED_PARTITION_OFFSET's (include/zephyr/devicetree/mapped-partition.h):
    the reg address translated upwards, left as it is where edtlib stops translating. None when a
    parent on the way is a `fixed-partitions` holder (its children are read as such)."""
    enclosing = None
    translating = True
    cur = tree.parent_of(node)
    depth = 0
    while cur is not None and depth < 64:
        depth += 1
        comps = cur.compatibles()
        if "fixed-partitions" in comps:
            return None
        grouping = not comps and cur.path != "/" and cur.name.split("@", 1)[0] == "partitions"
        if MAPPED not in comps and not grouping:
            return addr, cur.path, enclosing
        if MAPPED in comps and enclosing is None:
            enclosing = cur.path
        if translating and addr is not None:
            moved = _translate(cur, addr)
            if moved is None:
                translating = False
            else:
                addr = moved
        cur = tree.parent_of(cur)
    return None


def fixed_partitions(tree: DeviceTree) -> list:
    """Every flash partition of the devicetree: the children of `fixed-partitions` holders, and the
    `zephyr,mapped-partition` nodes of Zephyr 4.4 / NCS 3.4 (at any depth, with addresses relative
    to their memory node; nested ones name the partition they sit in). Disabled mapped partitions are
    left out, as the flash map leaves them out."""
    out = []
    for holder in tree.nodes():
        if "fixed-partitions" not in holder.compatibles():
            continue
        ac = _cells_of(holder, "#address-cells", 1, 2) or 1
        sc = _cells_of(holder, "#size-cells", 1, 2)
        flash = holder.parent or holder.path
        for cpath in holder.children:
            child = tree.node(cpath)
            if child is None:
                continue
            out.append(_partition(tree, child, ac, sc, flash, mapped=_is_mapped(child)))
    for node in tree.nodes():
        if not _is_mapped(node) or not node.okay():
            continue
        parent = tree.parent_of(node)
        ac = (_cells_of(parent, "#address-cells", 1, 2) or 1) if parent is not None else 1
        sc = _cells_of(parent, "#size-cells", 1, 2) if parent is not None else 1
        dp = _partition(tree, node, ac, sc, "", True)
        place = _mapped_place(tree, node, dp.address)
        if place is None:
            continue
        address, flash, enclosing = place
        out.append(dp._replace(address=address, flash_node=flash, parent=enclosing))
    return out


# --------------------------------------------------------------------------------------------
# A build's zephyr.dts
# --------------------------------------------------------------------------------------------

def parse_final_dts(path: Path) -> Union[DeviceTree, Problem]:
    """A build's final devicetree. dtlib decides which nodes and properties exist when it can
    parse the file; values and places come from the tree-sitter reader. Never raises."""
    path = Path(os.path.abspath(path))
    text = read_text(path)
    if text.problem is not None:
        return text.problem
    try:
        parsed = parse_dts(path, allowed_roots=[path.parent])
        tree = build_tree([parsed])
        tree.problems.extend(parsed.problems)
        tree.evidence = "tree-sitter"
    except Exception as exc:     # pragma: no cover - parse_dts never raises
        return Problem("internal", Span(path, 1, 1), f"cannot read devicetree: {exc}")
    # dtlib would follow /include/ and /incbin/ anywhere on disk: a final zephyr.dts has none
    if "/include/" in text.text or "/incbin/" in text.text:
        return tree
    try:
        from devicetree import dtlib
        dt = dtlib.DT(str(path))
    except Exception:            # dtlib raises DTError, and on odd input anything else
        return tree
    try:
        _reconcile(tree, dt, path)
        tree.evidence = "dtlib"
    except Exception:
        pass
    return tree


def _dtlib_prop(prop: Any, path: Path) -> DtsProperty:
    span = Span(path, 1, 1)
    from devicetree import dtlib
    t = prop.type
    values: list = []
    try:
        if t == dtlib.Type.EMPTY:
            values = []
        elif t in (dtlib.Type.STRING, dtlib.Type.STRINGS):
            values = [DtsValue("string", f'"{s}"', [s], span) for s in prop.to_strings()]
        elif t in (dtlib.Type.NUM, dtlib.Type.NUMS):
            nums = prop.to_nums()
            values = [DtsValue("cells", "<" + " ".join(hex(n) for n in nums) + ">", nums, span)]
        elif t == dtlib.Type.PATH:
            values = [DtsValue("ref", "&{" + prop.to_path().path + "}", [prop.to_path().path], span)]
        elif t in (dtlib.Type.PHANDLE, dtlib.Type.PHANDLES):
            items = []
            for n in prop.to_nodes():
                items.append("&" + n.labels[0] if n.labels else "&{" + n.path + "}")
            values = [DtsValue("cells", "<" + " ".join(items) + ">", items, span)]
        elif t == dtlib.Type.BYTES:
            values = [DtsValue("bytes", str(prop), list(prop.to_bytes()), span)]
        else:
            data = prop.value
            nums = [int.from_bytes(data[i:i + 4], "big") for i in range(0, len(data) - 3, 4)]
            values = [DtsValue("cells", "", nums, span)]
    except Exception:
        values = [DtsValue("bytes", "", list(prop.value), span)]
    return DtsProperty(prop.name, values, span, span)


def _reconcile(tree: DeviceTree, dt: Any, path: Path) -> None:
    want = {}
    for n in dt.node_iter():
        want[n.path] = n
    for p in [p for p in list(tree._nodes) if p not in want]:
        tree._delete(p)
    for p, dn in want.items():
        node = tree._get(p)
        node.known = True
        for name, prop in dn.props.items():
            if name not in node.props:
                conv = _dtlib_prop(prop, path)
                node.props[name] = conv
                node.history.setdefault(name, []).append(conv)
        for name in [n for n in node.props if n not in dn.props]:
            del node.props[name]
        for lab in dn.labels:
            if lab not in node.labels:
                tree._add_label(node, lab, None)
