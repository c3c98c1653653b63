"""Command line: check, map, rules, rule. Thin: parsing options and choosing outputs only."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from dfulint import __version__
from dfulint.core import Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
TEXT_FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit", "html")
COLOR_CHOICES = ("auto", "always", "never")
# CI systems set one of these; their logs are no terminal, whatever isatty says
_CI_VARS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD", "TEAMCITY_VERSION")


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
    if any(os.environ.get(v) for v in _CI_VARS) or os.environ.get("TERM") == "dumb":
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
        from dfulint.report import display_path
        import shutil

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


def _severity(ctx, param, value):
    try:
        return Severity.parse(value) if value else None
    except ValueError as exc:
        raise click.BadParameter(str(exc))


def _reason(ctx, param, value):
    """--add-ignore's REASON goes into one-line comments: refuse what would break them before any file is read."""
    if value:
        from dfulint.add_ignore import reason_problem

        why = reason_problem(value)
        if why:
            raise click.BadParameter(why)
    return value


class _CheckCommand(click.Command):
    """`check`, whose --add-ignore takes its reason only as `--add-ignore=REASON`: click would read
    the word after a bare `--add-ignore` as the reason, and `check --add-ignore app/` would then
    write comments into the current directory's apps with the reason "app/"."""

    def parse_args(self, ctx, args):
        cut = args.index("--") if "--" in args else len(args)
        head = []
        for i, a in enumerate(args[:cut]):
            if a == "--add-ignore":
                a = "--add-ignore="
            elif a == "--color" and (i + 1 >= cut or args[i + 1] not in COLOR_CHOICES):
                a = "--color=always"          # the flag alone, as before: colour on
            head.append(a)
        return super().parse_args(ctx, head + list(args[cut:]))


def _fail(message: str) -> None:
    click.echo(f"dfulint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


_WRITE_ERRORS = ("ENOSPC", "EDQUOT", "EFBIG", "EIO")   # the output's disk, not dfulint, failed


def _bug(exc: BaseException, debug: bool) -> None:
    import errno

    if isinstance(exc, OSError) and exc.errno in {getattr(errno, n, None) for n in _WRITE_ERRORS} - {None}:
        _quiet_stdout()
        _fail(f"cannot write the output: {exc.strerror or exc}")
    if debug:
        raise exc
    click.echo(f"dfulint: internal error (this is a bug in dfulint, please report it): "
               f"{type(exc).__name__}: {exc}. Run with --debug for details.", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="dfulint")
def cli():
    """dfulint: lint firmware-update (DFU) configuration of NCS, Zephyr and MCUboot apps."""


def _codes(values, what):
    from dfulint.checks import expand

    if not values:
        return None
    codes, unknown = expand(values)
    if unknown:
        raise click.BadParameter(f"unknown rule code or name: {', '.join(unknown)}", param_hint=what)
    return codes


@cli.command(cls=_CheckCommand)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--board", "-b", "boards", multiple=True, help="Board to check (repeatable); either name form.")
@click.option("--sdk-version", help="NCS version, e.g. 2.5.0 (default: detected).")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path),
              help="An existing build directory whose outputs replace predictions.")
@click.option("--file-suffix", "file_suffix", metavar="SUFFIX", default=None,
              help="Check the build made with FILE_SUFFIX=SUFFIX (Zephyr 3.6+, NCS 2.6+): prj_SUFFIX.conf, "
                   "boards/<board>_SUFFIX.conf and .overlay, sysbuild_SUFFIX.conf replace the plain files.")
@click.option("--format", "-f", "formats", multiple=True,
              help="Output format: text, json, sarif, github, gitlab, junit, html; FORMAT:FILE writes to a file. "
                   "Repeatable.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the (single) output format to this file.")
@click.option("--select", multiple=True, help="Only these rules (codes, names or prefixes like DFU2).")
@click.option("--ignore", multiple=True, help="Skip these rules.")
@click.option("--fail-on", callback=_severity, default=None,
              help="Lowest severity that fails: error (default), warning, info.")
@click.option("--profile", type=click.Choice(["development", "release"], case_sensitive=False), default=None,
              help="development (default): security posture (development keys, open SMP, serial recovery) is "
                   "info; release: the same findings are errors.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this configuration file for every app instead of discovering one.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--show-config", is_flag=True, help="Print each app's effective configuration and where it comes from.")
@click.option("--show-context", is_flag=True,
              help="Print what each app is checked as (boards, SDK, build system, with evidence and confidence) "
                   "and every file each image reads, in build order; check nothing.")
@click.option("--baseline", nargs=2, type=(click.Choice(["write", "use"]), click.Path(dir_okay=False, path_type=Path)),
              default=None, metavar="write|use FILE",
              help="Record the current findings in FILE, or report only findings not recorded there.")
@click.option("--against", metavar="REV|PATH", default=None,
              help="Check that devices running this release accept and boot an update built from the tree: a git "
                   "revision (a release tag), the release's build directory, its sources, or a `dfulint map "
                   "--format json` snapshot.")
@click.option("--fix", is_flag=True, help="Apply the safe, exact edits findings carry; then report what remains.")
@click.option("--diff", is_flag=True, help="Print the edits --fix would make as a unified diff; change nothing.")
@click.option("--add-ignore", "add_ignore", default=None, metavar="[=REASON]", callback=_reason,
              help="Write a `dfulint: ignore[...]` comment (with REASON) above every finding's line, so the "
                   "next run is clean; then report what remains. Write the reason as --add-ignore=REASON.")
@click.option("--output-format", "layout", type=click.Choice(["default", "concise", "full"]), default="default",
              help="Text layout: default (headline, place, fix), concise (one line per finding), full (adds the "
                   "explanation and the code frame).")
@click.option("--html-scale", type=click.Choice(["device", "shared"]), default="device", show_default=True,
              help="HTML flash pictures: each device as wide as the page, or all at one scale (equal slots look equal).")
@click.option("--statistics", is_flag=True, help="After the findings, count them per rule and say how many --fix mends.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (errors of dfulint still exit 2).")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no verdicts of clean apps, summary or notes.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write dfulint's cache for this run.")
@click.option("--color", type=click.Choice(COLOR_CHOICES), default="auto", show_default=True,
              help="Colour the text output; auto: on a terminal, unless NO_COLOR is set or FORCE_COLOR is.")
@click.option("--no-color", "no_color", is_flag=True, hidden=True)
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, metavar="N",
              help="Check apps in N processes (default 0: one per core). The output does not depend on N.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors (checks in one process).")
def check(paths, boards, sdk_version, build_dir, file_suffix, formats, output, select, ignore, fail_on, profile, config_file, isolated,
          show_config, show_context, baseline, against, fix, diff, add_ignore, layout, html_scale, statistics, exit_zero, quiet, no_cache,
          color, no_color, jobs, debug):
    """Check the apps at PATHS (default: the current directory).

    A PATH may be a file (a pm_static.yml, .conf or .overlay): its whole app is checked.
    --add-ignore suppresses every current finding with a comment in its file (for adopting
    dfulint on an existing product; --baseline keeps them in a separate file instead).
    """
    from dfulint import config, engine

    if no_color:
        color = "never"
    if no_cache:
        os.environ["DFULINT_CACHE_DIR"] = "0"     # read by dfulint.cache for every entry
    if add_ignore is not None and (fix or diff or baseline):
        other = "--fix" if fix else "--diff" if diff else "--baseline"
        raise click.BadParameter(f"cannot be combined with {other}", param_hint="--add-ignore")

    if file_suffix is not None:
        from dfulint.workspace import SUFFIX_NAME
        if not SUFFIX_NAME.fullmatch(file_suffix):
            raise click.BadParameter(f"{file_suffix!r} is not a file suffix such as release", param_hint="--file-suffix")
    if sdk_version is not None:
        from dfulint.workspace import parse_version
        if parse_version(sdk_version) is None:
            raise click.BadParameter(f"{sdk_version!r} is not a version such as 2.5.0", param_hint="--sdk-version")
    try:
        paths = list(paths) or [Path(".")]
        overrides = config.Overrides(select=_codes(select, "--select"), ignore=_codes(ignore, "--ignore") or set(),
                                     boards=tuple(boards), sdk_version=sdk_version, fail_on=fail_on,
                                     profile=profile.lower() if profile else None)
        resolver = config.Resolver(overrides, config_file, isolated)
        if show_config:
            roots = engine.app_roots(paths) or [p.resolve() for p in paths]
            from dfulint.report import display_path
            click.echo("\n".join(config.show(resolver.settings(r), display_path(r)) for r in roots), nl=False)
            sys.exit(EXIT_CLEAN)
        if boards:
            from dfulint.context.show import misspelled_boards
            bad = misspelled_boards(boards, engine.app_roots(paths))
            if bad:
                given, close = bad[0]
                raise click.BadParameter(f"unknown board {given!r}; did you mean {', '.join(close)}?",
                                         param_hint="--board")
        if show_context:
            from dfulint.context.show import render as render_context

            def ctx_app(root: Path) -> "engine.Options":
                o = engine.options_from_settings(resolver.settings(root), build_dir, debug)
                o.select = set()
                o.file_suffix = file_suffix
                return o
            result = engine.run(paths, engine.Options(debug=debug, per_app=ctx_app, select=set()))
            click.echo(render_context(result), nl=False)
            for e in result.internal_errors:
                click.echo(f"dfulint: internal error (a bug in dfulint, please report it): {e}", err=True)
            sys.exit(EXIT_ERROR if result.internal_errors else EXIT_CLEAN)
        outputs = _outputs(formats, output)

        def per_app(root: Path) -> "engine.Options":
            o = engine.options_from_settings(resolver.settings(root), build_dir, debug)
            o.file_suffix = file_suffix
            return o

        jobs = jobs or engine.default_jobs()
        opts = engine.Options(debug=debug, per_app=per_app,
                              baseline=(baseline[0], baseline[1]) if baseline else None, against=against)
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
            click.echo(fixer.diff(p, result.root), nl=False)
            click.echo(f"dfulint: {p.fixed} finding{'s' * (p.fixed != 1)} can be fixed in {len(p.files)} "
                       f"file{'s' * (len(p.files) != 1)} (--fix applies them)"
                       + (f"; {len(p.skipped)} edit{'s' * (len(p.skipped) != 1)} skipped" if p.skipped else ""),
                       err=True)
            sys.exit(EXIT_FINDINGS if p.changes else EXIT_CLEAN)
        if add_ignore is not None:
            from dfulint.add_ignore import add_ignores
            result, added = add_ignores(lambda: engine.run(paths, opts, jobs=jobs, keep_models=False), add_ignore)
            for line in added.messages():
                if not quiet:
                    click.echo(line, err=True)
        elif fix:
            from dfulint import fix as fixer
            result, rep = fixer.fix_until_stable(lambda: engine.run(paths, opts, jobs=jobs, keep_models=False))
            click.echo(f"dfulint: fixed {rep.fixed} finding{'s' * (rep.fixed != 1)} in {len(rep.files)} "
                       f"file{'s' * (len(rep.files) != 1)}", err=True)
            for e, why in rep.skipped:
                click.echo(f"dfulint: not fixed {e.path}:{e.line}: {why}", err=True)
        else:
            result = engine.run(paths, opts, jobs=jobs, keep_models=False)
        progress.clear()
        if not result.apps:
            click.echo("dfulint: no app found (an app folder has a prj.conf or a CMakeLists.txt calling "
                       "find_package(Zephyr)).", err=True)
        if result.baseline_written is not None:
            click.echo(f"dfulint: wrote {result.baseline_written} finding{'s' * (result.baseline_written != 1)} "
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
                        _quiet_stdout()
                else:
                    try:
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        with open(dest, "w", encoding="utf-8") as fh:
                            streamed.json.write(result, lambda t: fh.write(_encodable(t)))
                    except OSError as exc:
                        _fail(f"cannot write {dest}: {exc.strerror or exc}")
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
                    click.echo(text, nl=False)
                    sys.stdout.flush()
                except BrokenPipeError:     # `dfulint check | head`: the files and exit code still count
                    reader_gone = True
                    _quiet_stdout()
            else:
                try:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_text(text, encoding="utf-8")
                except OSError as exc:
                    _fail(f"cannot write {dest}: {exc.strerror or exc}")
        if streamed is not None and streamed.json is not None:
            streamed.json.close()
        if result.internal_errors:
            for e in result.internal_errors:
                click.echo(f"dfulint: internal error (a bug in dfulint, please report it): {e}", err=True)
            sys.exit(EXIT_ERROR)
        failing = any(f.severity >= result.fail_level(f) for f in result.findings)
        sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)
    except (SystemExit, BrokenPipeError):    # click ends a run whose reader has gone with 1
        raise                                 # (first: every run ends here, and the next clause imports)
    except (config.ConfigError, engine.MissingLibrary) as exc:
        _fail(str(exc))
    except _release_error() as exc:
        _fail(f"--against: {exc}")
    except click.ClickException:
        raise
    except Exception as exc:
        _bug(exc, debug)


def _release_error():
    from dfulint.release import ReleaseError
    return ReleaseError


def _outputs(formats, output) -> list:
    """(format, file or None) for every --format; FORMAT:FILE or -o FILE names the file."""
    fmts = list(formats) or (["github"] if os.environ.get("GITHUB_ACTIONS") == "true" else ["text"])
    if output is not None and len(fmts) > 1:
        raise click.BadParameter("--output takes a single --format; write FORMAT:FILE for several",
                                 param_hint="--output")
    outputs, dests = [], set()
    for spec in fmts:
        name, _, dest = spec.partition(":")
        name = name.strip().lower()
        if name not in TEXT_FORMATS:
            raise click.BadParameter(f"unknown format {name!r} (choose from {', '.join(TEXT_FORMATS)})",
                                     param_hint="--format")
        if not dest and output is not None:
            dest = str(output)
        if dest:
            key = str(Path(dest).resolve())
            if key in dests:
                raise click.BadParameter(f"two formats write to {dest}", param_hint="--format")
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
            _quiet_stdout()

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


@cli.command("map")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--board", "-b", "boards", multiple=True)
@click.option("--sdk-version")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--file-suffix", "file_suffix", metavar="SUFFIX", default=None,
              help="The build made with FILE_SUFFIX=SUFFIX (see `dfulint check --help`).")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--debug", is_flag=True)
def map_cmd(paths, boards, sdk_version, build_dir, file_suffix, fmt, debug):
    """Print the flash map each app and board will get, and MCUboot's analysis of its slots."""
    from dfulint import engine
    from dfulint.report import flashmap

    if file_suffix is not None:
        from dfulint.workspace import SUFFIX_NAME
        if not SUFFIX_NAME.fullmatch(file_suffix):
            raise click.BadParameter(f"{file_suffix!r} is not a file suffix such as release", param_hint="--file-suffix")
    try:
        opts = engine.Options(select=set(), boards=tuple(boards), sdk_version=sdk_version,
                              build_dir=build_dir, debug=debug, file_suffix=file_suffix)
        result = engine.run(list(paths) or [Path(".")], opts, keep_models=False)
        click.echo(flashmap.render_json(result) if fmt == "json" else flashmap.render_text(result), nl=False)
        sys.exit(EXIT_ERROR if result.internal_errors else EXIT_CLEAN)
    except engine.MissingLibrary as exc:
        _fail(str(exc))
    except (SystemExit, BrokenPipeError):
        raise
    except Exception as exc:
        _bug(exc, debug)


@cli.command("rules")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_cmd(fmt):
    """List every rule."""
    import json

    from dfulint.checks import load_all

    rules = load_all()
    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.label,
                                "family": r.family, "summary": r.summary, "fixable": r.fixable,
                                "applies": r.applies.describe()}
                               for r in sorted(rules.values(), key=lambda r: r.code)], indent=2))
        return
    family = None
    for r in sorted(rules.values(), key=lambda r: r.code):
        if r.family != family:
            family = r.family
            click.echo(f"\n{r.code[:4]}xx  {family}")
        click.echo(f"  {r.code}  {r.name:<40} {r.severity.label:<8} {r.summary}")


@cli.command("rule")
@click.argument("code")
def rule_cmd(code):
    """Print the page of one rule (by code or name)."""
    from dfulint import docs
    from dfulint.checks import resolve

    c = resolve(code)
    if c is None:
        _fail(f"no rule {code!r}; `dfulint rules` lists them")
    text = docs.page(c)
    if text is None:
        _fail(f"rule {c} has no page (rules/ folder not found)")
    click.echo(text)


@cli.command("server")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default; for clients that pass it).")
def server_cmd(stdio):
    """Run the language server (LSP over stdio) for editors: diagnostics as you type, fixes, hovers."""
    try:
        from dfulint.server import serve
    except ImportError as exc:     # pygls missing from a stripped-down install
        _fail(f"the language server needs pygls ({exc}); pip install 'pygls>=2'")
    serve()


def _quiet_stdout() -> None:
    """The reader of standard output has gone: send what is still buffered nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        sys.exit(EXIT_ERROR)
    except (SystemExit, BrokenPipeError):
        raise
    except Exception as exc:
        _bug(exc, "--debug" in sys.argv)
    sys.exit(EXIT_CLEAN)
