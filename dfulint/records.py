"""Record types that cost little to define: `typing.NamedTuple`'s class form, without its import cost.

For each record type, `typing.NamedTuple` compiles every field annotation (a string here, with
`from __future__ import annotations`) and a constructor from source text: about 0.5 M instructions
per type, 90 types, a tenth of checking one app. `NamedTuple` here builds the same class (a tuple
subclass whose fields are properties, with the defaults, `_fields`, `_field_defaults`, `_make`,
`_replace`, `_asdict`, repr, pickling and `__match_args__` of `collections.namedtuple`) from one
constructor per number of fields, written out at the end of this module (up to 40 fields; a record with
more compiles its own once). Defining a record compiles nothing. tests/test_records.py holds it
against `typing.NamedTuple`.

    from dfulint.records import NamedTuple

    class Span(NamedTuple):
        path: Path
        line: int = 1
"""
from __future__ import annotations

from operator import itemgetter
from types import FunctionType

try:
    from _collections import _tuplegetter
except ImportError:                                   # not CPython: a property does the same
    def _tuplegetter(index, doc):
        return property(itemgetter(index), doc=doc)

_tuple_new = tuple.__new__
_TEMPLATES: dict = {}           # arity -> constructor with parameters a0, a1, ... (filled at the end)


def _constructor(typename: str, fields: tuple, defaults: tuple) -> FunctionType:
    """`__new__(_cls, <fields>)` returning the tuple of its arguments, with `defaults` for the last ones.

    A record's constructor is the code of its arity's (collections.namedtuple compiles one per type)
    with the parameters renamed to its fields.
    """
    template = _TEMPLATES.get(len(fields))
    if template is None:
        params = "".join(f", a{i}" for i in range(len(fields)))
        values = "".join(f"a{i}, " for i in range(len(fields)))
        template = _TEMPLATES[len(fields)] = eval(f"lambda _cls{params}: _tuple_new(_cls, ({values}))",
                                                  {"_tuple_new": _tuple_new, "__builtins__": {}})
    code = template.__code__.replace(co_varnames=("_cls",) + fields, co_name="__new__")
    fn = FunctionType(code, template.__globals__, "__new__", defaults or None)
    fn.__qualname__ = f"{typename}.__new__"
    fn.__doc__ = f"Create new instance of {typename}({', '.join(fields)})"
    return fn


# The methods every record shares (collections.namedtuple defines one copy per type).

@classmethod
def _make(cls, iterable):
    """Make a new object from a sequence or iterable"""
    result = _tuple_new(cls, iterable)
    if len(result) != len(cls._fields):
        raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
    return result


def _replace(self, /, **kwds):
    """Return a new object replacing specified fields with new values"""
    result = self._make(map(kwds.pop, self._fields, self))
    if kwds:
        raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
    return result


def _repr(self):
    """Return a nicely formatted representation string"""
    return self.__class__.__name__ + self._repr_fmt % self


def _asdict(self):
    """Return a new dict which maps field names to their values."""
    return dict(zip(self._fields, self))


def _getnewargs(self):
    """Return self as a plain tuple.  Used by copy and pickle."""
    return tuple(self)


_RESERVED = frozenset({"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
                       "_make", "_replace", "_asdict", "_source"})


def record_type(typename: str, fields: tuple, defaults: dict, namespace: dict) -> type:
    """A tuple subclass `typename` with `fields` (those in `defaults` have those defaults) and the
    methods and attributes of `namespace` (a class body's)."""
    seen = set()
    for name in fields:
        if not name.isidentifier() or name.startswith("_") or name in seen:
            raise ValueError(f"{typename}: field name {name!r} is not allowed")
        seen.add(name)
    tail = []
    for name in fields:
        if name in defaults:
            tail.append(defaults[name])
        elif tail:
            raise TypeError(f"Non-default namedtuple field {name} cannot follow default field(s) "
                            f"{', '.join(f for f in fields if f in defaults)}")
    ns = {
        "__doc__": namespace.get("__doc__") or f"{typename}({', '.join(fields)})",
        "__slots__": (),
        "_fields": fields,
        "_field_defaults": {f: defaults[f] for f in fields if f in defaults},
        "__new__": _constructor(typename, fields, tuple(tail)),
        "_make": _make,
        "_replace": _replace,
        "__repr__": _repr,
        "_repr_fmt": "(" + ", ".join(f"{name}=%r" for name in fields) + ")",
        "_asdict": _asdict,
        "__getnewargs__": _getnewargs,
        "__match_args__": fields,
    }
    for index, name in enumerate(fields):
        ns[name] = _tuplegetter(index, f"Alias for field number {index}")
    for key, value in namespace.items():
        if key in _RESERVED:
            raise AttributeError(f"Cannot overwrite NamedTuple attribute {key}")
        if key not in fields and key != "__doc__":
            ns[key] = value
    return type(typename, (tuple,), ns)


class _RecordMeta(type):
    def __new__(mcls, typename, bases, namespace):
        if namespace.get("_root", False):
            return super().__new__(mcls, typename, bases, namespace)
        if bases != (NamedTuple,):
            raise TypeError("a record type derives from NamedTuple only")
        fields = tuple(namespace.get("__annotations__", {}))
        defaults = {f: namespace[f] for f in fields if f in namespace}
        return record_type(typename, fields, defaults, namespace)


class NamedTuple(metaclass=_RecordMeta):
    """Base of a record type written as a class (see the module's docstring)."""

    _root = True


# The constructor of each arity: `lambda _cls, a0, ..., aN: _tuple_new(_cls, (a0, ..., aN))`, written
# out so that defining a record compiles nothing (compiling one costs about as much as defining a
# record). A record type with more fields compiles its arity's in _constructor.
_TEMPLATES.update(enumerate((
    lambda _cls, a0: _tuple_new(_cls, (a0,)),
    lambda _cls, a0, a1: _tuple_new(_cls, (a0, a1)),
    lambda _cls, a0, a1, a2: _tuple_new(_cls, (a0, a1, a2)),
    lambda _cls, a0, a1, a2, a3: _tuple_new(_cls, (a0, a1, a2, a3)),
    lambda _cls, a0, a1, a2, a3, a4: _tuple_new(_cls, (a0, a1, a2, a3, a4)),
    lambda _cls, a0, a1, a2, a3, a4, a5: _tuple_new(_cls, (a0, a1, a2, a3, a4, a5)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6: _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7: _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8: _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35,
                          a36)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36, a37:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35,
                          a36, a37)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36, a37, a38:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35,
                          a36, a37, a38)),
    lambda _cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
           a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36, a37, a38, a39:
        _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18,
                          a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35,
                          a36, a37, a38, a39)),
), 1))
