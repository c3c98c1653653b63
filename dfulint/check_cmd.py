"""The `check` command itself, shared by the command line's two ways in: click's (dfulint.cli, the
definition of every command, their help and their usage errors) and the quick reading of a plain
`dfulint check` argument list (dfulint.check_args), which spares a run click's import. Nothing here
imports click."""
from __future__ import annotations

import os
import sys
from pathlib import Path

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
TEXT_FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit", "html")
COLOR_CHOICES = ("auto", "always", "never")
# CI systems set one of these; their logs are no terminal, whatever isatty says
CI_VARS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD", "TEAMCITY_VERSION")


class UsageError(Exception):
    """A value the command line accepted but the check refuses (a combination of options, a rule or
    board name): click reports it as its own usage error, naming `param_hint`."""

    def __init__(self, message: str, param_hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.param_hint = param_hint


_ANSI = None


def echo(message=None, nl: bool = True, err: bool = False) -> None:
    """click.echo of a text message. When click read the command line, click.echo itself (it also
    wraps a stream with an ASCII encoding, and obeys its test runner's colour setting). Otherwise
    the standard streams are ones click writes to as they are (dfulint.check_args makes sure before
    it runs a check without click), and this does what click.echo does with them: the message and a
    newline, colour and style codes removed unless the stream is a terminal, flushed."""
    global _ANSI
    click = sys.modules.get("click")
    if click is not None:
        click.echo(message, nl=nl, err=err)
        return
    file = sys.stderr if err else sys.stdout
    if file is None:
        return
    out = message if isinstance(message, str) else "" if message is None else str(message)
    if nl:
        out += "\n"
    if not out:
        file.flush()
        return
    if "\033" in out and not _isatty(file):
        if _ANSI is None:
            import re
            _ANSI = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")
        out = _ANSI.sub("", out)
    file.write(out)
    file.flush()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except Exception:
        return False


def use_colour(choice, stream=None) -> bool:
    """--color auto|always|never; auto follows NO_COLOR and FORCE_COLOR (https://no-color.org,
    https://force-color.org), then whether the stream is a terminal."""
    if choice in (True, "always"):
        return True
    if choice in (False, "never"):
        return False
    if os.environ.get("NO_COLOR", ""):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force.strip() not in ("0", "false"):
        return True
    stream = stream or sys.stdout
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def interactive(stream=None) -> bool:
    """A person watches this stream: a terminal, and no CI log."""
    stream = stream or sys.stderr
    if any(os.environ.get(v) for v in CI_VARS) or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """One line on stderr, rewritten in place, while several apps are checked on a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.shown = False

    def __call__(self, done: int, total: int, root) -> None:
        if not self.enabled or total < 2:
            return
        if root is None:
            self.clear()
            return
        import shutil

        from dfulint.report import display_path

        width = shutil.get_terminal_size((100, 24)).columns
        text = f"checking {done + 1}/{total}: {display_path(root)}"
        sys.stderr.write("\r\033[K" + text[:max(10, width - 1)])
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


def fail(message: str) -> None:
    echo(f"dfulint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


_WRITE_ERRORS = ("ENOSPC", "EDQUOT", "EFBIG", "EIO")   # the output's disk, not dfulint, failed


def bug(exc: BaseException, debug: bool) -> None:
    import errno

    if isinstance(exc, OSError) and exc.errno in {getattr(errno, n, None) for n in _WRITE_ERRORS} - {None}:
        quiet_stdout()
        fail(f"cannot write the output: {exc.strerror or exc}")
    if debug:
        raise exc
    echo(f"dfulint: internal error (this is a bug in dfulint, please report it): "
               f"{type(exc).__name__}: {exc}. Run with --debug for details.", err=True)
    sys.exit(EXIT_ERROR)


def _codes(values, what):
    from dfulint.checks import expand

    if not values:
        return None
    codes, unknown = expand(values)
    if unknown:
        raise UsageError(f"unknown rule code or name: {', '.join(unknown)}", param_hint=what)
    return codes


def check(paths, boards, sdk_version, build_dir, file_suffix, formats, output, select, ignore, fail_on, profile, config_file, isolated,
          show_config, show_context, baseline, against, fix, diff, add_ignore, layout, html_scale, statistics, exit_zero, quiet, no_cache,
          color, no_color, jobs, debug):
    """`dfulint check` with the values read from its command line (the help is click's, in
    dfulint.cli). It ends with SystemExit; a refused value raises UsageError before anything is
    written."""
    from dfulint import config, engine

    if no_color:
        color = "never"
    if no_cache:
        os.environ["DFULINT_CACHE_DIR"] = "0"     # read by dfulint.cache for every entry
    if add_ignore is not None and (fix or diff or baseline):
        other = "--fix" if fix else "--diff" if diff else "--baseline"
        raise UsageError(f"cannot be combined with {other}", param_hint="--add-ignore")

    if file_suffix is not None:
        from dfulint.workspace import SUFFIX_NAME
        if not SUFFIX_NAME.fullmatch(file_suffix):
            raise UsageError(f"{file_suffix!r} is not a file suffix such as release", param_hint="--file-suffix")
    if sdk_version is not None:
        from dfulint.workspace import parse_version
        if parse_version(sdk_version) is None:
            raise UsageError(f"{sdk_version!r} is not a version such as 2.5.0", param_hint="--sdk-version")
    try:
        paths = list(paths) or [Path(".")]
        overrides = config.Overrides(select=_codes(select, "--select"), ignore=_codes(ignore, "--ignore") or set(),
                                     boards=tuple(boards), sdk_version=sdk_version, fail_on=fail_on,
                                     profile=profile.lower() if profile else None)
        resolver = config.Resolver(overrides, config_file, isolated)
        if show_config:
            roots = engine.app_roots(paths) or [p.resolve() for p in paths]
            from dfulint.report import display_path
            echo("\n".join(config.show(resolver.settings(r), display_path(r)) for r in roots), nl=False)
            sys.exit(EXIT_CLEAN)
        if boards:
            from dfulint.context.show import misspelled_boards
            bad = misspelled_boards(boards, engine.app_roots(paths))
            if bad:
                given, close = bad[0]
                raise UsageError(f"unknown board {given!r}; did you mean {', '.join(close)}?",
                                         param_hint="--board")
        if show_context:
            from dfulint.context.show import render as render_context

            def ctx_app(root: Path) -> "engine.Options":
                o = engine.options_from_settings(resolver.settings(root), build_dir, debug)
                o.select = set()
                o.file_suffix = file_suffix
                return o
            result = engine.run(paths, engine.Options(debug=debug, per_app=ctx_app, select=set()))
            echo(render_context(result), nl=False)
            for e in result.internal_errors:
                echo(f"dfulint: internal error (a bug in dfulint, please report it): {e}", err=True)
            sys.exit(EXIT_ERROR if result.internal_errors else EXIT_CLEAN)
        outputs = _outputs(formats, output)

        def per_app(root: Path) -> "engine.Options":
            o = engine.options_from_settings(resolver.settings(root), build_dir, debug)
            o.file_suffix = file_suffix
            return o

        jobs = jobs or engine.default_jobs()
        # no check report shows a target's release facts (`map --format json` does; --against takes
        # its own): the release model is not imported for them
        opts = engine.Options(debug=debug, per_app=per_app,
                              baseline=(baseline[0], baseline[1]) if baseline else None, against=against,
                              release_facts=False)
        progress = Progress(interactive(sys.stderr) and not quiet)
        opts.on_progress = progress
        text_opts = dict(colour=use_colour(color), fmt=layout, statistics=statistics, quiet=quiet,
                         html_scale=html_scale)
        streamed = _stream(opts, outputs, text_opts, progress) \
            if not (diff or fix or baseline or add_ignore is not None) else None
        if diff:
            from dfulint import fix as fixer
            result = engine.run(paths, opts, jobs=jobs, keep_models=False)
            p = fixer.plan(result.findings)
            echo(fixer.diff(p, result.root), nl=False)
            echo(f"dfulint: {p.fixed} finding{'s' * (p.fixed != 1)} can be fixed in {len(p.files)} "
                       f"file{'s' * (len(p.files) != 1)} (--fix applies them)"
                       + (f"; {len(p.skipped)} edit{'s' * (len(p.skipped) != 1)} skipped" if p.skipped else ""),
                       err=True)
            sys.exit(EXIT_FINDINGS if p.changes else EXIT_CLEAN)
        if add_ignore is not None:
            from dfulint.add_ignore import add_ignores
            result, added = add_ignores(lambda: engine.run(paths, opts, jobs=jobs, keep_models=False), add_ignore)
            for line in added.messages():
                if not quiet:
                    echo(line, err=True)
        elif fix:
            from dfulint import fix as fixer
            result, rep = fixer.fix_until_stable(lambda: engine.run(paths, opts, jobs=jobs, keep_models=False))
            echo(f"dfulint: fixed {rep.fixed} finding{'s' * (rep.fixed != 1)} in {len(rep.files)} "
                       f"file{'s' * (len(rep.files) != 1)}", err=True)
            for e, why in rep.skipped:
                echo(f"dfulint: not fixed {e.path}:{e.line}: {why}", err=True)
        else:
            result = engine.run(paths, opts, jobs=jobs, keep_models=False)
        progress.clear()
        if not result.apps:
            echo("dfulint: no app found (an app folder has a prj.conf or a CMakeLists.txt calling "
                       "find_package(Zephyr)).", err=True)
        if result.baseline_written is not None:
            echo(f"dfulint: wrote {result.baseline_written} finding{'s' * (result.baseline_written != 1)} "
                       f"to the baseline {result.baseline_path}", err=True)
        reader_gone = False
        for name, dest in outputs:
            if streamed is not None and name == "json" and streamed.json is not None:
                # the JSON document, put together from what each app left encoded
                if dest is None:
                    if reader_gone:
                        continue
                    try:
                        streamed.json.write(result, lambda t: sys.stdout.write(_encodable(t)))
                        sys.stdout.flush()
                    except BrokenPipeError:
                        reader_gone = True
                        quiet_stdout()
                else:
                    try:
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        with open(dest, "w", encoding="utf-8") as fh:
                            streamed.json.write(result, lambda t: fh.write(_encodable(t)))
                    except OSError as exc:
                        fail(f"cannot write {dest}: {exc.strerror or exc}")
                continue
            if streamed is not None and streamed.covers(name, dest):
                text = streamed.tail(result)
            else:
                text = _render(name, result, text_opts)
            text = _encodable(text)
            if dest is None:
                if reader_gone:
                    continue
                try:
                    echo(text, nl=False)
                    sys.stdout.flush()
                except BrokenPipeError:     # `dfulint check | head`: the files and exit code still count
                    reader_gone = True
                    quiet_stdout()
            else:
                try:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_text(text, encoding="utf-8")
                except OSError as exc:
                    fail(f"cannot write {dest}: {exc.strerror or exc}")
        if streamed is not None and streamed.json is not None:
            streamed.json.close()
        if result.internal_errors:
            for e in result.internal_errors:
                echo(f"dfulint: internal error (a bug in dfulint, please report it): {e}", err=True)
            sys.exit(EXIT_ERROR)
        failing = any(f.severity >= result.fail_level(f) for f in result.findings)
        sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)
    except (SystemExit, BrokenPipeError, UsageError):   # a reader gone: exit 1 (as click ends it)
        raise                                 # (first: every run ends here, and a later clause imports)
    except (config.ConfigError, engine.MissingLibrary) as exc:
        fail(str(exc))
    except _release_error() as exc:
        fail(f"--against: {exc}")
    except Exception as exc:
        bug(exc, debug)


def _release_error():
    from dfulint.release import ReleaseError
    return ReleaseError


def _outputs(formats, output) -> list:
    """(format, file or None) for every --format; FORMAT:FILE or -o FILE names the file."""
    fmts = list(formats) or (["github"] if os.environ.get("GITHUB_ACTIONS") == "true" else ["text"])
    if output is not None and len(fmts) > 1:
        raise UsageError("--output takes a single --format; write FORMAT:FILE for several",
                                 param_hint="--output")
    outputs, dests = [], set()
    for spec in fmts:
        name, _, dest = spec.partition(":")
        name = name.strip().lower()
        if name not in TEXT_FORMATS:
            raise UsageError(f"unknown format {name!r} (choose from {', '.join(TEXT_FORMATS)})",
                                     param_hint="--format")
        if not dest and output is not None:
            dest = str(output)
        if dest:
            key = str(Path(dest).resolve())
            if key in dests:
                raise UsageError(f"two formats write to {dest}", param_hint="--format")
            dests.add(key)
        outputs.append((name, Path(dest) if dest else None))
    return outputs


class _Stream:
    """The text report on standard output, written app by app as each is checked; the JSON report,
    encoded app by app and written at the end without building the document."""

    def __init__(self, text_opts: dict, progress: Progress, text: bool = True, json=None):
        self.opts = text_opts
        self.progress = progress
        self.gone = False
        self.text = text
        self.json = json        # report.json_report.Stream, or None

    def covers(self, name: str, dest) -> bool:
        return self.text and name == "text" and dest is None

    def __call__(self, app_result, findings) -> None:
        if self.json is not None:
            self.json(app_result, findings)
        if not self.text:
            return
        from dfulint.report import text

        block = text.render_app(app_result, findings, self.opts["colour"], self.opts["fmt"],
                                quiet=self.opts["quiet"])
        if not block or self.gone:
            return
        self.progress.clear()
        try:
            sys.stdout.write(block)
            sys.stdout.flush()
        except BrokenPipeError:
            self.gone = True
            quiet_stdout()

    def tail(self, result) -> str:
        from dfulint.report import text

        o = self.opts
        return text.render_tail(result, o["colour"], o["statistics"], o["quiet"])


def _stream(opts, outputs, text_opts: dict, progress: Progress):
    """Stream the text report when it goes to standard output, and encode the JSON report app by
    app (the other formats need every app)."""
    text = any(name == "text" and dest is None for name, dest in outputs)
    json_stream = None
    if any(name == "json" for name, _ in outputs):
        from dfulint.report.json_report import Stream
        json_stream = Stream()
    if not text and json_stream is None:
        return None
    s = _Stream(text_opts, progress, text=text, json=json_stream)
    opts.on_app = s
    return s


def _encodable(text: str) -> str:
    """Output text that can be written as UTF-8: a file name's undecodable bytes become `\xff`."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _render(name: str, result, text_opts: dict) -> str:
    if name == "text":
        from dfulint.report import text
        return text.render(result, colour=text_opts["colour"], fmt=text_opts["fmt"],
                           statistics=text_opts["statistics"], quiet=text_opts["quiet"])
    if name == "json":
        from dfulint.report import json_report
        return json_report.render(result)
    if name == "html":
        from dfulint.report import html
        return html.render(result, scale=text_opts.get("html_scale", "device"))
    from importlib import import_module
    mod = import_module(f"dfulint.report.{name}")
    return mod.render(result)


def quiet_stdout() -> None:
    """The reader of standard output has gone: send what is still buffered nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass

