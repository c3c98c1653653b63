"""`python -m dfulint` and the `dfulint` command."""
import gc


def entry() -> None:
    # A lint run allocates many objects and frees few, the imports most of all: the cyclic
    # collector runs rarely from the very start (this alone saves a sixth of a small app's run)
    gc.set_threshold(50_000, 20, 20)
    from dfulint.cli import entry as run

    run()


if __name__ == "__main__":
    entry()
