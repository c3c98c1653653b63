"""`python -m dfulint` and the `dfulint` command."""
import gc
import os
import sys


def _lazy(name: str) -> None:
    """Import `name` when one of its attributes is first used (importlib.util.LazyLoader)."""
    if name in sys.modules:
        return
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except (ImportError, ValueError, AttributeError):
        sys.modules.pop(name, None)


def entry() -> None:
    """dfulint.cli.main(), started and ended for speed.

    A lint run allocates many objects and frees few, the imports most of all: the cyclic collector
    runs rarely from the very start. Once every report is written and flushed, the process ends
    without the interpreter's teardown, which frees every object one by one (a fifth of a small
    app's run).
    """
    gc.set_threshold(50_000, 20, 20)
    _lazy("uuid")       # click's UUID parameter type; importing uuid runs platform's regexes
    from dfulint.cli import EXIT_CLEAN, EXIT_ERROR, main

    try:
        main()
        code = EXIT_CLEAN
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = EXIT_ERROR
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
