"""dfulint: a linter for firmware-update configuration in NCS, Zephyr and MCUboot projects."""
import sys

__version__ = "0.1.0"


def imported_on_first_use(name: str):
    """The module `name`, executed when one of its attributes is first used (the standard library's
    importlib.util.LazyLoader), or the module itself when it is imported already. A missing module
    raises ImportError here, as `import` would."""
    if name in sys.modules:
        if sys.modules[name] is None:
            raise ImportError(f"import of {name} halted; None in sys.modules")
        return sys.modules[name]
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
