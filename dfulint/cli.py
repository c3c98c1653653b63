"""Command line: check, map, rules, rule. Thin: parsing options and choosing outputs only."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from dfulint import __version__
from dfulint.core import Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
TEXT_FORMATS = ("text", "json", "sarif", "github", "junit", "html")


def _severity(ctx, param, value):
    try:
        return Severity.parse(value) if value else None
    except ValueError as exc:
        raise click.BadParameter(str(exc))


def _fail(message: str) -> None:
    click.echo(f"dfulint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _bug(exc: BaseException, debug: bool) -> None:
    if debug:
        raise exc
    click.echo(f"dfulint: internal error (this is a bug in dfulint, please report it): "
               f"{type(exc).__name__}: {exc}. Run with --debug for details.", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dfulint")
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


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--board", "-b", "boards", multiple=True, help="Board to check (repeatable); either name form.")
@click.option("--sdk-version", help="NCS version, e.g. 2.5.0 (default: detected).")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path),
              help="An existing build directory whose outputs replace predictions.")
@click.option("--format", "-f", "formats", multiple=True,
              help="Output format: text, json, sarif, github, junit, html; FORMAT:FILE writes to a file. Repeatable.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the (single) output format to this file.")
@click.option("--select", multiple=True, help="Only these rules (codes, names or prefixes like DFU2).")
@click.option("--ignore", multiple=True, help="Skip these rules.")
@click.option("--fail-on", callback=_severity, default=None, help="Lowest severity that fails: error, warning, info.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def check(paths, boards, sdk_version, build_dir, formats, output, select, ignore, fail_on, color, debug):
    """Check the apps at PATHS (default: the current directory)."""
    from dfulint import engine

    try:
        paths = list(paths) or [Path(".")]
        opts = engine.Options(select=_codes(select, "--select"), ignore=_codes(ignore, "--ignore") or set(),
                              boards=tuple(boards), sdk_version=sdk_version, build_dir=build_dir, debug=debug)
        fmts = list(formats) or (["github"] if os.environ.get("GITHUB_ACTIONS") == "true" else ["text"])
        outputs = []
        for spec in fmts:
            name, _, dest = spec.partition(":")
            if name not in TEXT_FORMATS:
                raise click.BadParameter(f"unknown format {name!r} (choose from {', '.join(TEXT_FORMATS)})",
                                         param_hint="--format")
            if not dest and output is not None and len(fmts) == 1:
                dest = str(output)
            outputs.append((name, Path(dest) if dest else None))
        result = engine.run(paths, opts)
        if not result.apps:
            click.echo("dfulint: no app found (an app folder has a prj.conf or a CMakeLists.txt calling "
                       "find_package(Zephyr)).", err=True)
        for name, dest in outputs:
            text = _render(name, result, color)
            if dest is None:
                click.echo(text, nl=False)
            else:
                dest.write_text(text, encoding="utf-8")
        if result.internal_errors:
            for e in result.internal_errors:
                click.echo(f"dfulint: internal error (a bug in dfulint, please report it): {e}", err=True)
            sys.exit(EXIT_ERROR)
        level = fail_on or Severity.INFO
        sys.exit(EXIT_FINDINGS if any(f.severity >= level for f in result.findings) else EXIT_CLEAN)
    except click.ClickException:
        raise
    except SystemExit:
        raise
    except Exception as exc:
        _bug(exc, debug)


def _render(name: str, result, color) -> str:
    if name == "text":
        from dfulint.report import text
        use = sys.stdout.isatty() and "NO_COLOR" not in os.environ if color is None else color
        return text.render(result, colour=use)
    if name == "json":
        from dfulint.report import json_report
        return json_report.render(result)
    from importlib import import_module
    mod = import_module(f"dfulint.report.{name}")
    return mod.render(result)


@cli.command("map")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--board", "-b", "boards", multiple=True)
@click.option("--sdk-version")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--debug", is_flag=True)
def map_cmd(paths, boards, sdk_version, build_dir, fmt, debug):
    """Print the flash map each app and board will get, and MCUboot's analysis of its slots."""
    from dfulint import engine
    from dfulint.report import flashmap

    try:
        opts = engine.Options(select=set(), boards=tuple(boards), sdk_version=sdk_version,
                              build_dir=build_dir, debug=debug)
        result = engine.run(list(paths) or [Path(".")], opts)
        click.echo(flashmap.render_json(result) if fmt == "json" else flashmap.render_text(result), nl=False)
        sys.exit(EXIT_ERROR if result.internal_errors else EXIT_CLEAN)
    except SystemExit:
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
                                "family": r.family, "summary": r.summary, "fixable": r.fixable}
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
    except SystemExit:
        raise
    except Exception as exc:
        _bug(exc, "--debug" in sys.argv)
    sys.exit(EXIT_CLEAN)
