"""Command line: check, map, rules, rule. Thin: parsing options and choosing outputs only.

click defines every command, its help and its usage errors. A plain `dfulint check` argument list
is read without importing click (dfulint.check_args, from the table of `check`'s parameters that
tests/test_check_args.py holds against the command below); both ways run dfulint.check_cmd.check."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from dfulint import __version__, check_args
from dfulint.check_cmd import COLOR_CHOICES, EXIT_CLEAN, EXIT_ERROR, UsageError
from dfulint.check_cmd import CI_VARS as _CI_VARS, Progress, interactive, use_colour  # noqa: F401 (named here before)
from dfulint.check_cmd import bug as _bug
from dfulint.check_cmd import fail as _fail
from dfulint.check_cmd import check as _check


def _severity(ctx, param, value):
    try:
        return check_args.fail_on(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


def _reason(ctx, param, value):
    """--add-ignore's REASON goes into one-line comments: refuse what would break them before any file is read."""
    try:
        return check_args.add_ignore(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


class _CheckCommand(click.Command):
    """`check`, whose --add-ignore takes its reason only as `--add-ignore=REASON`: click would read
    the word after a bare `--add-ignore` as the reason, and `check --add-ignore app/` would then
    write comments into the current directory's apps with the reason "app/"; a bare `--color` is
    `--color=always` (see check_args.rewrite)."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, check_args.rewrite(args))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="dfulint")
def cli():
    """dfulint: lint firmware-update (DFU) configuration of NCS, Zephyr and MCUboot apps."""


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
def check(**params):
    """Check the apps at PATHS (default: the current directory).

    A PATH may be a file (a pm_static.yml, .conf or .overlay): its whole app is checked.
    --add-ignore suppresses every current finding with a comment in its file (for adopting
    dfulint on an existing product; --baseline keeps them in a separate file instead).
    """
    try:
        _check(**params)
    except UsageError as exc:
        raise click.BadParameter(exc.message, param_hint=exc.param_hint) from None


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
