"""4xx: Kconfig fragment hygiene, per line and per image."""
from __future__ import annotations

from dfulint.checks import hit, rule
from dfulint.core import assigned, Edit, Severity
from dfulint.model.query import paths


def _type_of(a) -> tuple[str, bool]:
    """(type, known): the catalogue's type for the symbol, else what the value looks like."""
    from dfulint.model import kconfig as kc

    info = kc.symbol(a.full_name)
    if info is not None and info.type:
        return info.type, True
    return kc.guess_type(a.raw), False


def _line_edit(t, a, new_line: str):
    """An exact edit of the line holding assignment `a`."""
    lines = paths(t).lines_of(a.span.path)
    if not (0 < a.span.line <= len(lines)):
        return []
    return [Edit(a.span.path, a.span.line, a.span.line, lines[a.span.line - 1], new_line)]


@rule("DFU401", "conf-inline-comment", Severity.ERROR,
      "A value in a Kconfig fragment is followed by an inline `# comment`", fixable=True,
      levels=(Severity.WARNING, Severity.INFO))
def conf_inline_comment(t):
    for frag in t.files.fragments:
        for a in frag.assignments:
            comment = a.inline_comment
            if comment is None:
                continue
            typ, known = _type_of(a)
            value = a.value_without_comment
            if typ == "string" and not a.raw.startswith('"'):
                escaped = value.replace("\\", "\\\\").replace('"', '\\"')
                new_line = f'{a.prefix}{a.name}="{escaped}"'
            else:
                new_line = f"{a.prefix}{a.name}={value}"
            # the comment keeps its words, on its own line above the assignment
            edits = _line_edit(t, a, f"{comment}\n{new_line}") if value else []
            fix = f"move the comment to its own line above: `{comment}` then `{new_line}`"
            if not value:
                fix = f"the line assigns only a comment: write the value after `{a.full_name}=` and the comment " \
                      "on its own line"
            if typ in ("int", "hex"):
                yield hit(a.span, f"{a.full_name}={a.raw}: Kconfig reads the whole text '{a.raw}' as the "
                          f"{typ} value, rejects it and Zephyr aborts the build ('Aborting due to Kconfig warnings')",
                          headline=f"{a.full_name}: an inline comment after an {typ} value aborts the build",
                          fix=fix, anchor=a.full_name, edits=edits)
            elif typ in ("bool", "tristate"):
                yield hit(a.span, f"{a.full_name}={a.raw}: works only by accident (Kconfig reads just the first "
                          f"character '{a.raw[:1]}'); the same habit after an int or hex value aborts the build",
                          headline=f"{a.full_name}: inline comment is read right only by accident",
                          fix=fix, anchor=a.full_name, severity=Severity.INFO, edits=edits)
            elif typ == "string":
                if a.raw.startswith('"'):
                    yield hit(a.span, f"{a.full_name}: the comment after the closing quote is dropped by Kconfig, "
                              "so this works, but it is fragile",
                              headline=f"{a.full_name}: inline comment after a string; works, but fragile", fix=fix, anchor=a.full_name,
                              severity=Severity.INFO, edits=edits)
                else:
                    yield hit(a.span, f"{a.full_name}={a.raw}: a string value must be quoted; Kconfig rejects "
                              "this 'malformed string literal' and aborts the build",
                              headline=f"{a.full_name}: unquoted string with an inline comment aborts the build",
                              fix=fix, anchor=a.full_name, edits=edits)
            else:
                yield hit(a.span, f"{a.full_name}={a.raw}: inline comments are not Kconfig syntax; the text after "
                          "'=' is taken as the value",
                          headline=f"{a.full_name}: the inline comment becomes part of the value", fix=fix, anchor=a.full_name,
                          severity=Severity.WARNING if not known else None, edits=edits)


@rule("DFU402", "conf-conflicting-assignment", Severity.INFO,
      "The same symbol is assigned different values in one fragment; the last one silently wins", fixable=True)
def conf_conflicting_assignment(t):
    # Across files (prj.conf, then boards/<board>.conf, ...) overriding is how layering is meant to
    # work; within one file a second, different value is a mistake waiting to happen.
    for frag in t.files.fragments:
        name = ""
        by_sym: dict[str, list] = {}
        for a in frag.assignments:
            by_sym.setdefault(a.name, []).append(a)
        for sym, assigns in by_sym.items():
            values = [x.value_without_comment for x in assigns]
            if len(set(values)) < 2:
                continue
            last = assigns[-1]
            for a in assigns[:-1]:
                if a.value_without_comment == last.value_without_comment:
                    continue
                where = (f"line {last.span.line}" if last.span.path == a.span.path
                         else f"{t.app.rel(last.span.path)}:{last.span.line}")
                edits = []
                if a.span.path == last.span.path:
                    lines = paths(t).lines_of(a.span.path)
                    if 0 < a.span.line <= len(lines):
                        edits = [Edit(a.span.path, a.span.line, a.span.line, lines[a.span.line - 1], None)]
                yield hit(a.span, f"{a.full_name}={a.value_without_comment} is overridden by "
                          f"{last.value_without_comment} at {where}; Kconfig keeps the last value without a warning",
                          headline=f"{assigned(a.full_name, a.value_without_comment)} is silently overridden by "
                                   + (f"{last.value_without_comment} " if len(last.value_without_comment) <= 16
                                      and not last.value_without_comment.startswith('"') else "")
                                   + f"at {where}",
                          fix=f"delete this line, or the later one if {a.value_without_comment} was meant",
                          image=name, anchor=a.full_name, related=[last.span], edits=edits)


@rule("DFU403", "conf-repeated-assignment", Severity.INFO,
      "The same symbol is assigned the same value twice in one fragment", fixable=True)
def conf_repeated_assignment(t):
    for frag in t.files.fragments:
        name = ""
        first: dict[str, object] = {}
        for a in frag.assignments:
            prev = first.get(a.name)
            if prev is None:
                first[a.name] = a
                continue
            if prev.value_without_comment == a.value_without_comment:
                where = (f"line {prev.span.line}" if prev.span.path == a.span.path
                         else f"{t.app.rel(prev.span.path)}:{prev.span.line}")
                edits = []
                if prev.span.path == a.span.path:
                    lines = paths(t).lines_of(a.span.path)
                    if 0 < a.span.line <= len(lines):
                        edits = [Edit(a.span.path, a.span.line, a.span.line, lines[a.span.line - 1], None)]
                yield hit(a.span, f"{a.full_name}={a.value_without_comment} repeats the assignment at {where}",
                          headline=f"{a.full_name} is assigned the same value again (first at {where})",
                          fix="delete the repeated line", image=name, anchor=a.full_name,
                          related=[prev.span], edits=edits)


def _malformed_headline(p) -> str:
    import re

    m = re.search(r"`([^`]*)`", p.message or "")
    line = m.group(1) if m else ""
    quoted = f"`{line[:36]}{'...' if len(line) > 36 else ''}`" if line else f"line {p.span.line}"
    return f"{quoted} is neither an assignment nor a comment: the build aborts"


@rule("DFU404", "conf-malformed-line", Severity.ERROR,
      "A line in a Kconfig fragment is neither an assignment nor a comment")
def conf_malformed_line(t):
    for frag in t.files.fragments:
        if getattr(frag, "sysbuild_like", False):
            continue        # a sysbuild fragment under another name (kmu.sysbuild.conf): not an image's
        for p in frag.problems:
            if p.kind == "malformed-line":
                yield hit(p.span, p.message, fix=p.fix, anchor=p.span.path.name,
                          headline=_malformed_headline(p))


@rule("DFU405", "conf-space-around-equals", Severity.ERROR,
      "Spaces around `=` make Kconfig read a different, undefined symbol name, or reject the value",
      fixable=True, levels=(Severity.WARNING, Severity.INFO))
def conf_space_around_equals(t):
    for frag in t.files.fragments:
        for a in frag.assignments:
            spaced_name = a.symbol != a.symbol.strip()
            spaced_value = not a.unset and a.raw[:1] in (" ", "\t")
            if not (spaced_name or spaced_value):
                continue
            new_line = f"{a.prefix}{a.name}={a.raw.strip()}"
            text = f"`{a.prefix}{a.symbol}={a.raw}`"
            fix, edits = f"write `{new_line}`", _line_edit(t, a, new_line)
            if spaced_name:
                yield hit(a.line_span, f"{text}: Kconfig takes the symbol name '{a.symbol}' (with the space) and the "
                          f"value '{a.raw}'; the assignment goes to an undefined symbol and Zephyr aborts the build",
                          headline=f"space in the name {a.prefix}{a.symbol.strip()}: an undefined symbol aborts the build",
                          fix=fix, anchor=a.full_name, edits=edits)
                continue
            accepted = _accepts_leading_space(a)
            if accepted is True:
                yield hit(a.line_span, f"{text}: Kconfig accepts the number with the space before it, so "
                          f"{a.name} gets {a.raw.strip()} as written; the space is only untidy", fix=fix,
                          headline=f"{a.full_name}= {a.raw.strip()[:16]}: a space after '=', accepted but untidy",
                          anchor=a.full_name, edits=edits, severity=Severity.INFO)
            elif accepted is False:
                typ, _ = _type_of(a)
                why = ("malformed string literal" if typ == "string" else
                       f"'{a.raw}' is not a valid value for the {typ} symbol")
                yield hit(a.line_span, f"{text}: Kconfig reads the value '{a.raw}' with its leading space and rejects "
                          f"it ({why}; 'Assignment ignored'), and Zephyr aborts the build on that warning",
                          headline=f"{a.full_name}: a space after '=' makes Kconfig reject the value; the build aborts",
                          fix=fix, anchor=a.full_name, edits=edits)
            else:
                yield hit(a.line_span, f"{text}: Kconfig keeps the space in the value '{a.raw}'; a number is "
                          "accepted that way, a bool or string value is rejected and aborts the build", fix=fix,
                          headline=f"{a.full_name}: a space after '=' aborts the build unless the value is a number",
                          anchor=a.full_name, edits=edits, severity=Severity.WARNING)


def _accepts_leading_space(a):
    """Whether Kconfiglib accepts `CONFIG_X= value` as written: an int or hex value is parsed with
    int(), which skips the space; a bool, tristate or string value is rejected. None: unknown type."""
    typ, known = _type_of(a)
    value = a.raw.strip()
    if typ in ("int", "hex"):
        try:
            int(value, 10 if typ == "int" else 16)
        except ValueError:
            return False
        return True
    if typ in ("bool", "tristate", "string"):
        return False if known or typ != "string" or value.startswith('"') else None
    return None


@rule("DFU410", "conf-unset-non-bool", Severity.WARNING,
      "`# CONFIG_X is not set` on an int, hex or string symbol does nothing")
def conf_unset_non_bool(t):
    from dfulint.model.kconfig import symbol

    for frag in t.files.fragments:
        for a in frag.assignments:
            if not a.unset:
                continue
            info = symbol(a.full_name)
            if info is not None and info.type in ("int", "hex", "string"):
                yield hit(a.span, f"`# {a.full_name} is not set` is ignored for the {info.type} symbol {a.name}: "
                          "its default stays in effect",
                          headline=f"`# {a.full_name} is not set` does nothing for a {info.type} symbol",
                          fix=f"assign the value you want: `{a.full_name}=...`",
                          anchor=a.full_name)


@rule("DFU407", "conf-invalid-value", Severity.ERROR,
      "A value does not fit the symbol's type; Kconfig drops it and the build aborts",
      levels=(Severity.WARNING,))
def conf_invalid_value(t):
    from dfulint.model import kconfig as kc
    from dfulint.model.kconfig import symbol

    for frag in t.files.fragments:
        for a in frag.assignments:
            if a.unset or a.inline_comment is not None:
                continue  # DFU401 reports values spoiled by comments
            info = symbol(a.full_name)
            if info is None or info.type not in ("bool", "tristate", "int", "hex", "string"):
                why = _invalid_for_every_type(a.raw)
                if why:
                    yield hit(a.span, f"{a.full_name}: {why}, which no Kconfig type accepts; Kconfig ignores the "
                              "assignment and Zephyr aborts the build",
                              headline=f"{a.full_name}: a value no Kconfig type accepts aborts the build",
                              fix=f"write the value (y/n, a number, or a \"quoted\" string) after `{a.full_name}=`",
                              anchor=a.full_name)
                continue
            _, err = kc.interpret(a.raw, info.type)
            if err:
                example = {"bool": "y or n", "tristate": "y, m or n", "int": "a decimal number",
                           "hex": "a 0x... number", "string": 'a "quoted" string'}[info.type]
                yield hit(a.span, f"{a.full_name}: {err}; Kconfig ignores the assignment and Zephyr aborts the build",
                          headline=f"{a.full_name}: not a valid {info.type} value; the build aborts",
                          fix=f"give {a.name} {example}", anchor=a.full_name)
            elif info.type in ("bool",) and a.raw not in ("y", "n"):
                yield hit(a.span, f"{a.full_name}={a.raw} is read as '{a.raw[0]}' (Kconfig looks at the first "
                          "character only)",
                          headline=f"{a.full_name}={a.raw[:12]} is read as '{a.raw[0]}': only the first character counts",
                          fix=f"write `{a.full_name}={a.raw[0]}`", anchor=a.full_name,
                          severity=Severity.WARNING)


def _invalid_for_every_type(raw: str) -> str:
    from dfulint.model import kconfig as kc

    """Why a value is rejected whatever the symbol's type ('' when some type takes it)."""
    if raw == "":
        return "the value is empty"
    if raw.startswith('"') and all(kc.interpret(raw, typ)[1] for typ in ("string", "bool", "int", "hex")):
        return f"the string {raw[:40]} has no closing quote"
    return ""


def _status(name: str, image: str, t) -> tuple:
    """A symbol's status for this project (Target.symbol_status, found by the model)."""
    return t.symbol_status.get((image, name), ("unknown", None))


def _status_findings(t, wanted: set[str]):
    images = list(t.images.values())
    if t.sysbuild is not None:
        images.append(t.sysbuild)
    for img in images:
        name = img.name
        for frag in img.fragments:
            for a in frag.assignments:
                st, detail = _status(a.name, name, t)
                if st in wanted:
                    yield name, a, st, detail


_WHERE = {
    ("mcuboot", "child_image"): "child_image/mcuboot.conf",
    ("mcuboot", "sysbuild"): "sysbuild/mcuboot.conf",
    ("app", "child_image"): "prj.conf",
    ("app", "sysbuild"): "prj.conf",
    ("sysbuild", "sysbuild"): "sysbuild.conf",
}


@rule("DFU406", "conf-symbol-wrong-image", Severity.ERROR,
      "A symbol is set in an image whose Kconfig tree does not define it")
def conf_symbol_wrong_image(t):
    for image, a, st, owner in _status_findings(t, {"other-image"}):
        dest = _WHERE.get((owner, t.build_system), f"the {owner} image's configuration")
        yield hit(a.span, f"{a.full_name} exists only in the {owner} image's Kconfig; set here it is an assignment "
                  "to an undefined symbol and Zephyr aborts the build",
                  headline=f"{a.full_name} belongs to the {owner} image; set here it aborts the build",
                  image=image, anchor=a.full_name,
                  fix=f"move `{a.prefix}{a.name}={a.value_without_comment}` to {dest}" if owner != "sysbuild"
                  else f"set SB_CONFIG_{a.name}={a.value_without_comment} in sysbuild.conf instead")


@rule("DFU408", "conf-renamed-symbol", Severity.ERROR,
      "A symbol was renamed or removed in this SDK version",
      levels=(Severity.WARNING, Severity.INFO))
def conf_renamed_symbol(t):
    for image, a, st, detail, since in t.symbols_gone_later:
        v = f"NCS {since[0]}.{since[1]}"
        what = f"renamed to {a.prefix}{detail}" if st == "renamed" else f"removed ({detail})"
        yield hit(a.span, f"if this app is built with {v} or later, {a.full_name} no longer exists ({what}) and "
                  f"the build aborts on it as an undefined symbol; the SDK version is not known here "
                  f"({t.sdk.source})",
                  fix=(f"on {v} or later write `{a.prefix}{detail}={a.value_without_comment}`" if st == "renamed"
                       else f"on {v} or later delete the line") + "; pass --sdk-version (or pin the SDK in a "
                  "west.yml) so dfulint checks the version you build with",
                  image=image, anchor=a.full_name, severity=Severity.INFO,
                  headline=f"{a.full_name} is gone from {v} on")
    for image, a, st, detail in _status_findings(t, {"renamed", "removed", "not-yet"}):
        ver = f"NCS {t.sdk}" if t.app.framework == "ncs" else f"Zephyr {t.sdk}"
        if st == "renamed":
            yield hit(a.span, f"{a.full_name} no longer exists in {ver} ({t.sdk.source}); it is now "
                      f"{a.prefix}{detail}, and the old name aborts the build as an undefined symbol",
                      headline=f"{a.full_name} was renamed {a.prefix}{detail}: the old name aborts the build",
                      fix=f"write `{a.prefix}{detail}={a.value_without_comment}`", image=image, anchor=a.full_name)
        elif st == "removed":
            yield hit(a.span, f"{a.full_name} was removed ({detail}); in {ver} it is an undefined symbol and the "
                      "build aborts", headline=f"{a.full_name} no longer exists in {ver}: the build aborts",
                      fix="delete the line (see the rule page for what replaces it)",
                      image=image, anchor=a.full_name)
        else:
            yield hit(a.span, f"{a.full_name} does not exist yet in {ver} (added in {detail})",
                      headline=f"{a.full_name} does not exist yet in {ver}",
                      fix=f"use the name valid in {ver}, or check the detected SDK version ({t.sdk.source})",
                      image=image, anchor=a.full_name, severity=Severity.WARNING)


def _dropped_headline(a, detail: str) -> str:
    import re

    m = re.search(r"unmet dependenc(?:y|ies):?\s*([A-Za-z0-9_]+)", detail or "")
    why = f"unmet dependency {m.group(1)}" if m else "a dependency is off"
    return f"{assigned(a.full_name, a.value_without_comment)} has no effect: {why}"


@rule("DFU409", "conf-dependency-unmet", Severity.WARNING,
      "An assignment Kconfig drops because a dependency is off, or that sysbuild overrides",
      levels=(Severity.ERROR,))
def conf_dependency_unmet(t):
    for name, img in t.images.items():
        cfg = img.config
        if cfg is None:
            continue
        for d in cfg.dropped:
            a = d.assignment
            if d.reason == "dependency":
                if _dropped_by_design(t, cfg, a, d.detail):
                    continue
                yield hit(a.span, f"{a.full_name}={a.value_without_comment} does not take effect: {d.detail}",
                          headline=_dropped_headline(a, d.detail),
                          fix="enable the dependency in the same image, or delete this line",
                          image=name, anchor=a.full_name)
            elif d.reason == "no-prompt" and t.sdk.exact:
                # prompts come and go between releases: only said when the version is known
                yield hit(a.span, f"{a.full_name} is not user-configurable (it has no prompt): {d.detail}",
                          headline=f"{a.full_name} has no prompt: setting it here has no effect",
                          fix="delete this line; set the option that selects it instead",
                          image=name, anchor=a.full_name, severity=Severity.ERROR)


def _dropped_by_design(t, cfg, a, detail: str = "") -> bool:
    """An assignment whose dependency is off on purpose: MCUboot sizes its sector table itself
    (BOOT_MAX_IMG_SECTORS_AUTO, so a manual BOOT_MAX_IMG_SECTORS is moot), or a board-specific
    fragment of this build switches the dependency off for this board. The dependencies are the
    symbol's own `depends on` and those the evaluation names (`unmet dependencies: LOG [LOG=n]`),
    which also covers a choice member whose whole menu depends on the switch."""
    import re

    from dfulint.model.kconfig import symbol

    if a.name == "BOOT_MAX_IMG_SECTORS" and cfg.enabled("BOOT_MAX_IMG_SECTORS_AUTO"):
        return True
    if a.span.path.name.endswith("_defconfig"):
        return True     # a board's defconfig is read by every image: a line meant for another is moot
    info = symbol(a.full_name)
    deps = set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", (info.depends_on or "") if info is not None else ""))
    deps |= set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", detail))     # the unmet terms Kconfig names (choices too)
    stems = set(getattr(t, "stems", ()) or ())
    for dep in sorted(deps):
        v = cfg.get(dep)
        if v is None or not v.assignments or str(v.value)[:1] != "n":
            continue
        last = v.assignments[-1]
        path = last.span.path
        board_specific = path.parent.name == "boards" or path.stem in stems or any(
            path.stem.endswith("_" + s) for s in stems)
        if board_specific and last.value_without_comment[:1] == "n":
            return True
    return False


@rule("DFU411", "conf-undefined-symbol", Severity.ERROR,
      "A symbol assigned in an image's fragments is defined nowhere in the west workspace's Kconfig")
def conf_undefined_symbol(t):
    seen = set()
    for key, img in t.images.items():
        name = img.name
        defined = t.kconfig_defined(name)
        if defined is None:
            continue
        for frag in img.fragments:
            for a in frag.assignments:
                if a.symbol != a.symbol.strip() or not a.name:
                    continue      # DFU405 reports names with spaces
                if defined.defines(a.name):
                    continue
                if _status(a.name, name, t)[0] in ("other-image", "renamed", "removed", "not-yet"):
                    continue      # DFU406 / DFU408 say more
                where = (a.span.path, a.span.line, name)
                if where in seen:
                    continue
                seen.add(where)
                tree = "MCUboot's" if name == "mcuboot" else "the application's"
                yield hit(a.span, f"{a.full_name} is not defined anywhere in {tree} Kconfig in the west workspace "
                          f"{t.app.west_root}; Kconfig warns about the assignment to an undefined symbol and Zephyr "
                          "aborts the build", image=name, anchor=a.full_name, evidence="workspace",
                          headline=f"{a.full_name} is defined nowhere in the workspace's Kconfig: the build aborts",
                          fix=f"check the spelling of {a.name}, or delete the line; if the symbol belongs to a "
                              "module of your own, define it in the app's Kconfig")
