"""6xx: files the build system will not read where the user put them."""
from __future__ import annotations

from pathlib import Path

from dfulint.checks import hit, rule
from dfulint.core import assigned, Edit, Severity, Span
from dfulint.model.sysbuild import sysbuild_owner
from dfulint.model.paths import image_of, sysbuild_dest
from dfulint.model import versions
from dfulint.model.query import paths


@rule("DFU601", "child-image-under-sysbuild", Severity.ERROR,
      "Settings in child_image/ are silently ignored by sysbuild builds (NCS 2.7+)", fixable=True,
      build_systems=("sysbuild",),
      levels=(Severity.WARNING,))
def child_image_under_sysbuild(t):
    app = t.app
    child_files = [p for p in app.files if app.rel(p).startswith("child_image/")]
    if not child_files:
        return
    # what sysbuild/ already carries, per image: sysbuild/<image>.conf and sysbuild/<image>/...
    carried: dict[str, dict[str, str]] = {}
    sb_conf: dict[str, str] = {}
    for frag in t.files.fragments:
        rel = app.rel(frag.path)
        if rel == "sysbuild.conf":
            sb_conf.update({a.name: a.value_without_comment for a in frag.assignments})
        elif rel.startswith("sysbuild/"):
            carried.setdefault(image_of(rel), {}).update(
                {a.name: a.value_without_comment for a in frag.assignments})
    frags = {f.path: f for f in t.files.fragments}
    why = ("NCS 3.0 removed child images" if versions.child_images_removed(t)
           else "sysbuild ignores child_image/ without a warning")
    # with both child_image/ and sysbuild files and no known SDK version, the project may still be
    # built the child-image way (NCS 2.4-2.6 samples carried both): say so, as a warning
    guess = not t.sdk.exact and versions.sysbuild_by_default(t) is not True
    cond = (f"if this project is built with sysbuild (the default from NCS 2.7; the SDK version is a guess: "
            f"{t.sdk.source}), " if guess else "")
    sev = Severity.WARNING if guess else None
    for p in child_files:
        rel = app.rel(p)
        dest = sysbuild_dest(rel)
        image = image_of(rel)
        frag = frags.get(p)
        if frag is None or not frag.assignments:
            if p.suffix in (".overlay", ".conf"):
                yield hit(Span(p, 1, 1), f"{cond}{rel} is not read by this sysbuild build ({why})",
                          headline=f"{_short_rel(rel)} " + ("would be ignored by sysbuild" if guess
                                                            else "is ignored by sysbuild"),
                          fix=f"move it to {dest}" + (" (and check that it holds everything MCUboot needs)"
                                                       if dest.endswith("prj.conf") else ""),
                          severity=Severity.WARNING, anchor=rel, image=image)
            continue
        here_all = carried.get(image, {})
        for a in frag.assignments:
            value = a.value_without_comment
            sb = sysbuild_owner(a.name, value, image)
            if sb is not None:
                sb_name, sb_value = sb
                if sb_value is not None and sb_conf.get(sb_name) == sb_value:
                    continue
                fix = (f"set SB_CONFIG_{sb_name}={sb_value} in sysbuild.conf (sysbuild forces this setting into "
                       "the image, so sysbuild/mcuboot.conf cannot change it)" if sb_value is not None else
                       f"choose it in sysbuild.conf with an SB_CONFIG_{sb_name}* option (sysbuild forces the choice)")
            else:
                fix = f"move `{a.full_name}={value}` to {dest}"
            here = here_all.get(a.name)
            if here == value:
                continue
            msg = f"{cond}{a.full_name}={value} in {rel} is ignored by sysbuild ({why}); " + (
                f"nothing in sysbuild/ sets it for {image}" if here is None else f"sysbuild/ sets {here} instead")
            edits = []
            if not guess and here is None:
                if sb is not None and sb[1] is not None:
                    edits = _move_edits(t, a, app.root / "sysbuild.conf", f"SB_CONFIG_{sb[0]}={sb[1]}")
                elif sb is None and (dest == f"sysbuild/{image}.conf" or dest == f"sysbuild/{image}/prj.conf"):
                    edits = _move_edits(t, a, app.root / dest, f"{a.prefix}{a.name}={value}")
            head = f"{assigned(a.full_name, value)} in child_image/ " + \
                ("would be ignored by sysbuild" if guess else "is ignored by sysbuild")
            yield hit(a.span, msg, headline=head, fix=fix, image=image, anchor=a.full_name, severity=sev, edits=edits)


def _move_edits(t, a, dest: Path, line: str) -> list[Edit]:
    """Delete the assignment's line and append `line` to `dest` (created when missing)."""
    lines = paths(t).lines_of(a.span.path)
    if not (0 < a.span.line <= len(lines)):
        return []
    current = paths(t).text_of(dest)
    if current is None:                 # unreadable: leave both files alone
        return []
    return [Edit(a.span.path, a.span.line, a.span.line, lines[a.span.line - 1], None),
            Edit(dest, 0, 0, current, line)]


DFU_DT_PROPS = ("nordic,pm-ext-flash", "zephyr,code-partition")
DFU_DT_COMPATS = ("jedec,spi-nor", "nordic,qspi-nor", "fixed-partitions")


def _dfu_content(dts, other) -> list[str]:
    """DFU-relevant things a devicetree file sets that `other` (the file used instead) does not."""
    def facts(f):
        out = set()
        for root in f.roots:
            for node, _ in root.walk():
                for name, prop in node.props.items():
                    if name in DFU_DT_PROPS:
                        out.add(f"chosen {name}")
                    if name == "compatible" and any(c in DFU_DT_COMPATS for c in prop.as_strs()):
                        out.add(f"a {'/'.join(c for c in prop.as_strs() if c in DFU_DT_COMPATS)} node")
                for lab in node.labels:
                    if lab.startswith(("slot0", "slot1", "scratch")):
                        out.add(f"the {lab} partition")
        return out
    return sorted(facts(dts) - (facts(other) if other is not None else set()))


@rule("DFU602", "app-overlay-shadowed", Severity.WARNING,
      "DFU settings in app.overlay are skipped for boards that have a boards/<board>.overlay")
def app_overlay_shadowed(t):
    app = t.app
    img = t.images.get("app")
    if img is None or not paths(t).has_file(app.root / "app.overlay") or app.is_mcuboot:
        return
    used = [layer.path for layer in img.dts_layers if layer.role == "overlay"]
    if app.root / "app.overlay" in used or not used:
        return
    board_ov = used[0]
    parsed = {d.path: d for d in t.files.dts}
    app_ov = parsed.get(app.root / "app.overlay")
    if app_ov is None:
        return
    missing = _dfu_content(app_ov, parsed.get(board_ov))
    if not missing:
        return
    yield hit(Span(app.root / "app.overlay", 1, 1),
              f"app.overlay is not applied for {t.board}, so its {', '.join(missing)} never reach this build: "
              f"Zephyr uses only the first of boards/<board>.overlay, <board>.overlay and app.overlay, and "
              f"{app.rel(board_ov)} exists", image="app",
              headline=f"app.overlay is skipped for {t.board}: its {', '.join(missing)} never reach the build",
              fix=f"copy what {t.board} needs ({', '.join(missing)}) from app.overlay into {app.rel(board_ov)}, "
                  "or `#include` a shared .dtsi from both",
              anchor="app.overlay", related=[Span(board_ov, 1, 1)])


@rule("DFU603", "pm-static-not-used", Severity.INFO,
      "A pm_static file that the build will not pick for this board",
      needs=("partition-manager", "pm-static"))
def pm_static_not_used(t):
    for path, _why in t.pm_static_unused:
        yield hit(Span(path, 1, 1), f"{path.name} is not used for {t.board}: NCS {t.sdk} picks "
                  f"{t.pm_static.path.name} first",
                  headline=f"{path.name} is never used for this board: {t.pm_static.path.name} wins", fix=f"delete {path.name} or merge it into "
                  f"{t.pm_static.path.name}", anchor=path.name)


def _short_rel(rel: str) -> str:
    """An image-configuration path for a headline: from child_image/ or sysbuild/ on."""
    parts = rel.replace("\\", "/").split("/")
    for i, p in enumerate(parts):
        if p in ("child_image", "sysbuild"):
            short = "/".join(parts[i:])
            return short if len(short) <= 40 else parts[-1]
    return rel if len(rel) <= 40 else parts[-1]


@rule("DFU604", "image-config-replaces-defaults", Severity.WARNING,
      "child_image/mcuboot/ or sysbuild/mcuboot/ replaces MCUboot's own configuration",
      needs=("mcuboot",),
      levels=(Severity.ERROR,))
def image_config_replaces_defaults(t):
    mcu = t.images.get("mcuboot")
    if mcu is None or mcu.replaces_defaults is None:
        return
    path = mcu.replaces_defaults
    rel = t.app.rel(path)
    cfg = mcu.config
    found = paths(t)
    span = Span(path, 1, 1) if found.has_file(path) else Span(path / "prj.conf", 1, 1)
    if not found.has_file(path) and not found.has_file(path / "prj.conf"):
        variants = list(found.names_in(path))
        if variants:
            yield hit(Span(path / variants[0], 1, 1), f"{rel}/ has only {', '.join(variants)}: MCUboot gets a "
                      "configuration only in builds that set the matching FILE_SUFFIX; the default build uses "
                      "Kconfig defaults alone", image="mcuboot", anchor=rel,
                      headline=f"{rel}/ has only {variants[0]}: the default build gets no MCUboot configuration",
                      fix=f"add {rel}/prj.conf for the default build, or always build with the FILE_SUFFIX")
            return
        yield hit(span, f"{rel}/ exists, so MCUboot's own prj.conf and board files are no longer used, but it has no "
                  "prj.conf: depending on the Zephyr version, configuration stops because prj.conf is required, "
                  "or MCUboot is built from Kconfig defaults and board fragments only",
                  image="mcuboot", anchor=rel,
                  headline=f"{rel}/ replaces MCUboot's configuration but has no prj.conf",
                  fix=f"add {rel}/prj.conf with MCUboot's full configuration, or use sysbuild/mcuboot.conf to append "
                  "settings instead", severity=Severity.ERROR)
        return
    lost = _lost_by_replacing(t, cfg)
    if not lost:
        return      # nothing this build needs came from MCUboot's own files
    yield hit(span, f"{rel} replaces MCUboot's own configuration, and this build loses what it needs from it: "
              + "; ".join(lost), image="mcuboot", anchor=rel,
              headline=f"{_short_rel(rel)} replaces MCUboot's configuration and loses its sector table size",
              fix=("append settings with child_image/mcuboot.conf instead" if t.build_system == "child_image"
                   else "append settings with sysbuild/mcuboot.conf instead")
              + ", or add the lost settings to the replacing configuration")


def _lost_by_replacing(t, cfg) -> list:
    """What replacing MCUboot's configuration directory takes away that this build needs: a
    sector table size from MCUboot's board or SoC fragment that the slots need."""
    from dfulint.model.extflash import replaced_board_value

    lost = []
    if cfg is None:
        return lost
    b = t.boot
    m = t.boot_params.max_img_sectors if t.boot_params is not None else None
    if b is not None and m is not None and b.needed_max_img_sectors > m:
        sectors = cfg.get("BOOT_MAX_IMG_SECTORS")
        if sectors is None or sectors.origin == "default":
            value, source = replaced_board_value(t, "BOOT_MAX_IMG_SECTORS")
            if value is None and t.mcuboot_soc_sectors is not None:
                value, source = t.mcuboot_soc_sectors
            if isinstance(value, int) and value >= b.needed_max_img_sectors:
                lost.append(f"CONFIG_BOOT_MAX_IMG_SECTORS={value} from {source} (the slots need "
                            f"{b.needed_max_img_sectors}, the default is {m})")
    return lost
