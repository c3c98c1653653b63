"""`python -m dfulint` and the `dfulint` command."""
import gc
import os
import sys


def entry() -> None:
    """dfulint.cli.main(), started and ended for speed.

    A lint run allocates many objects and frees few, the imports most of all: the cyclic collector
    runs rarely from the very start. Once every report is written and flushed, the process ends
    without the interpreter's teardown, which frees every object one by one (a fifth of a small
    app's run).
    """
    gc.set_threshold(50_000, 20, 20)
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


if __name__ == "__main__":
    entry()
