"""`dfulint check ARGS` read without click, for the argument lists click would read the same way.

Importing click costs about a sixth of checking one app (it imports inspect, ast, dis, tokenize,
gettext, datetime, uuid and platform). click stays the definition of the command line (dfulint.cli):
`PARAMS` below is `check`'s parameters as plain data, and tests/test_check_args.py derives the same
table from click's command and requires it to be equal. `run` reads a plain argument list with it;
whatever it does not read exactly as click would (help, an unknown option, a missing or refused
value, combined short options, a path that does not exist, ...) makes it answer None before
anything is written, and click reads the whole command line from the start, with its own messages.
"""
import os
import sys

from dfulint.check_cmd import COLOR_CHOICES

# (name, option strings, kind, multiple, nargs, type, value when not given, callback)
# kind: argument | flag | value. type: ("text",), ("path", exists, file_okay, dir_okay, readable),
# ("choice", choices, case_sensitive), ("int", min, max), ("tuple", (type, ...)), ("bool",).
PARAMS = (
    ("paths", (), "argument", False, -1, ("path", True, True, True, True), (), None),
    ("boards", ("--board", "-b"), "value", True, 1, ("text",), (), None),
    ("sdk_version", ("--sdk-version",), "value", False, 1, ("text",), None, None),
    ("build_dir", ("--build-dir",), "value", False, 1, ("path", False, False, True, True), None, None),
    ("file_suffix", ("--file-suffix",), "value", False, 1, ("text",), None, None),
    ("formats", ("--format", "-f"), "value", True, 1, ("text",), (), None),
    ("output", ("--output", "-o"), "value", False, 1, ("path", False, True, False, True), None, None),
    ("select", ("--select",), "value", True, 1, ("text",), (), None),
    ("ignore", ("--ignore",), "value", True, 1, ("text",), (), None),
    ("fail_on", ("--fail-on",), "value", False, 1, ("text",), None, "_severity"),
    ("profile", ("--profile",), "value", False, 1, ("choice", ("development", "release"), False), None, None),
    ("config_file", ("--config",), "value", False, 1, ("path", True, True, False, True), None, None),
    ("isolated", ("--isolated",), "flag", False, 1, ("bool",), False, None),
    ("show_config", ("--show-config",), "flag", False, 1, ("bool",), False, None),
    ("show_context", ("--show-context",), "flag", False, 1, ("bool",), False, None),
    ("baseline", ("--baseline",), "value", False, 2,
     ("tuple", (("choice", ("write", "use"), True), ("path", False, True, False, True))), None, None),
    ("against", ("--against",), "value", False, 1, ("text",), None, None),
    ("fix", ("--fix",), "flag", False, 1, ("bool",), False, None),
    ("diff", ("--diff",), "flag", False, 1, ("bool",), False, None),
    ("add_ignore", ("--add-ignore",), "value", False, 1, ("text",), None, "_reason"),
    ("layout", ("--output-format",), "value", False, 1, ("choice", ("default", "concise", "full"), True), "default",
     None),
    ("html_scale", ("--html-scale",), "value", False, 1, ("choice", ("device", "shared"), True), "device", None),
    ("statistics", ("--statistics",), "flag", False, 1, ("bool",), False, None),
    ("exit_zero", ("--exit-zero",), "flag", False, 1, ("bool",), False, None),
    ("quiet", ("--quiet", "-q"), "flag", False, 1, ("bool",), False, None),
    ("no_cache", ("--no-cache",), "flag", False, 1, ("bool",), False, None),
    ("color", ("--color",), "value", False, 1, ("choice", ("auto", "always", "never"), True), "auto", None),
    ("no_color", ("--no-color",), "flag", False, 1, ("bool",), False, None),
    ("jobs", ("--jobs", "-j"), "value", False, 1, ("int", 0, None), 0, None),
    ("debug", ("--debug",), "flag", False, 1, ("bool",), False, None),
)


def rewrite(args) -> list:
    """`check`'s own reading of two options, before click's (and this module's): a bare `--add-ignore`
    takes no reason (click would take the next word, maybe a path, as the reason), and a bare
    `--color`, not followed by one of its choices, means `--color=always`."""
    args = list(args)
    cut = args.index("--") if "--" in args else len(args)
    head = []
    for i, a in enumerate(args[:cut]):
        if a == "--add-ignore":
            a = "--add-ignore="
        elif a == "--color" and (i + 1 >= cut or args[i + 1] not in COLOR_CHOICES):
            a = "--color=always"          # the flag alone, as before: colour on
        head.append(a)
    return head + args[cut:]


def fail_on(value):
    """--fail-on's callback: a severity, or ValueError with the reason."""
    if not value:
        return None
    from dfulint.core import Severity

    return Severity.parse(value)


def add_ignore(value):
    """--add-ignore's callback: REASON goes into one-line comments; ValueError for one that would break them."""
    if value:
        from dfulint.add_ignore import reason_problem

        why = reason_problem(value)
        if why:
            raise ValueError(why)
    return value


CALLBACKS = {"_severity": fail_on, "_reason": add_ignore}


class _NotMine(Exception):
    """click must read this command line."""


def parse(args):
    """The keyword arguments click would pass to `check` for ARGS (after `check`), or None."""
    try:
        return _parse(rewrite(args))
    except _NotMine:
        return None


def _parse(args) -> dict:
    options = {}
    for row in PARAMS:
        for opt in row[1]:
            options[opt] = row
    given, positional = {}, []
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        i += 1
        if a == "--":
            positional.extend(args[i:])
            break
        if a[:1] != "-":
            positional.append(a)
            continue
        if a == "-":
            raise _NotMine          # click: a path named "-"
        if a[:2] == "--":
            opt, eq, explicit = a.partition("=")
            if not eq:
                explicit = None
        else:                       # -x, or -xVALUE for an option that takes a value
            opt, explicit = a[:2], a[2:] or None
        row = options.get(opt)
        if row is None:
            raise _NotMine          # help, or an unknown option (click names the closest)
        name, _, kind, multiple, nargs = row[:5]
        if kind == "flag":
            if explicit is not None:
                raise _NotMine      # --quiet=x, or -qj4
            value = True
        else:
            values = [] if explicit is None else [explicit]
            while len(values) < nargs:
                if i >= n or args[i][:1] == "-":
                    raise _NotMine  # a value missing, or one that looks like an option
                values.append(args[i])
                i += 1
            value = values[0] if nargs == 1 else tuple(values)
        if multiple:
            given.setdefault(name, []).append(value)
        else:
            given[name] = value     # click keeps the last
    params = {}
    for name, _, kind, multiple, nargs, typ, default, callback in PARAMS:
        if kind == "argument":
            value = tuple(_convert(typ, v) for v in positional) if positional else default
        elif name not in given:
            value = default
        elif kind == "flag":
            value = True
        elif multiple:
            value = tuple(_convert(typ, v) for v in given[name])
        else:
            value = _convert(typ, given[name])
        if callback is not None:
            try:
                value = CALLBACKS[callback](value)
            except ValueError:
                raise _NotMine from None
        params[name] = value
    return params


def _convert(typ, value):
    kind = typ[0]
    if kind == "text":
        return value
    if kind == "path":
        return _path(typ, value)
    if kind == "choice":
        choices, case_sensitive = typ[1], typ[2]
        if value in choices:
            return value
        if not case_sensitive:
            folded = value.casefold()
            for choice in choices:
                if choice.casefold() == folded:
                    return choice
        raise _NotMine
    if kind == "int":
        try:
            number = int(value)
        except ValueError:
            raise _NotMine from None
        low, high = typ[1], typ[2]
        if (low is not None and number < low) or (high is not None and number > high):
            raise _NotMine
        return number
    if kind == "tuple":
        return tuple(_convert(t, v) for t, v in zip(typ[1], value))
    raise _NotMine


def _path(typ, value):
    import stat
    from pathlib import Path

    _, exists, file_okay, dir_okay, readable = typ
    try:
        st = os.stat(value)
    except (OSError, ValueError):
        if exists:
            raise _NotMine from None
        return Path(value)
    if (not file_okay and stat.S_ISREG(st.st_mode)) or (not dir_okay and stat.S_ISDIR(st.st_mode)):
        raise _NotMine
    if readable and not os.access(value, os.R_OK):
        raise _NotMine
    return Path(value)


def _plain_streams() -> bool:
    """Standard output and error are text streams click would write to as they are (dfulint's writer
    does what click.echo does with them)."""
    import codecs
    import io

    for stream in (sys.stdout, sys.stderr):
        if type(stream) is not io.TextIOWrapper or stream.errors is None:
            return False
        try:
            if not stream.encoding or codecs.lookup(stream.encoding).name == "ascii":
                return False
        except LookupError:
            return False
    return True


def run(args):
    """Run `dfulint check ARGS` and return its exit code (or end with SystemExit), or return None,
    having written nothing, when click must read ARGS."""
    if os.name == "nt" or not _plain_streams():
        return None             # click expands wildcards on Windows and rewraps odd streams
    if any(k[:1] == "_" and k.endswith("_COMPLETE") for k in os.environ):
        return None             # shell completion
    try:
        params = parse(args)
    except Exception:
        return None
    if params is None:
        return None
    from dfulint import check_cmd

    try:
        check_cmd.check(**params)
    except check_cmd.UsageError:
        return None             # click reads it all again and reports the same refusal its own way
    except (EOFError, KeyboardInterrupt):   # as click: a new line, exit 2
        sys.stderr.write("\n")
        sys.stderr.flush()
        return check_cmd.EXIT_ERROR
    except OSError as exc:
        import errno

        if exc.errno == errno.EPIPE:
            return 1            # the reader has gone: click ends such a run with 1
        check_cmd.bug(exc, "--debug" in sys.argv)
    except Exception as exc:
        check_cmd.bug(exc, "--debug" in sys.argv)
    return check_cmd.EXIT_CLEAN
