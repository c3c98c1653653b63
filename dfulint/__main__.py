"""`python -m dfulint` and the `dfulint` command."""
import gc
import os
import sys

from dfulint import imported_on_first_use


FAST_CHECK = True     # False: click reads every command line (the tests compare both readings)


def entry() -> None:
    """dfulint.cli.main(), started and ended for speed.

    A plain `dfulint check` command line is read without importing click (dfulint.check_args); any
    other, and any that this reading does not take exactly as click would, goes to click. A lint run
    allocates many objects and frees few, the imports most of all: the cyclic collector runs rarely
    from the very start. Once every report is written and flushed, the process ends without the
    interpreter's teardown, which frees every object one by one (a fifth of a small app's run).
    """
    gc.set_threshold(50_000, 20, 20)
    from dfulint.check_cmd import EXIT_ERROR

    code = None
    if FAST_CHECK and sys.argv[1:2] == ["check"]:
        code = _exit_code(_check_without_click)
    if code is None:
        code = _exit_code(_click)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):   # a closed pipe (dfulint check | head): nothing more to say
            pass
        except OSError as exc:                  # a full disk: the report is incomplete
            if stream is sys.stdout:
                try:
                    sys.stderr.write(f"dfulint: error: cannot write the output: {exc.strerror or exc}\n")
                    sys.stderr.flush()
                except (OSError, ValueError):
                    pass
                code = EXIT_ERROR
    os._exit(code)


def _check_without_click():
    from dfulint.check_args import run

    return run(sys.argv[2:])


def _click() -> int:
    try:                # click's UUID parameter type; importing uuid runs platform's regexes
        imported_on_first_use("uuid")
    except (ImportError, ValueError):
        pass
    from dfulint.cli import EXIT_CLEAN, main

    main()
    return EXIT_CLEAN


def _exit_code(run):
    """run()'s exit code, from its SystemExit or its return value (None: not run)."""
    from dfulint.check_cmd import EXIT_ERROR

    try:
        return run()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return EXIT_ERROR


def _forget_the_current_directory() -> None:
    """`python -m dfulint` puts the current directory first on sys.path; checked from inside a
    repository, that repository's `click.py`, `yaml.py` or `kconfiglib.py` would be imported (run)
    in place of the library. dfulint itself is imported by now, so the entry is dropped."""
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    if not getattr(sys.flags, "safe_path", False) and sys.path and sys.path[0] in ("", cwd):
        del sys.path[0]


if __name__ == "__main__":
    _forget_the_current_directory()
    entry()
