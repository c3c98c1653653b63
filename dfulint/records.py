"""Record types that cost next to nothing to define.

`class Span(NamedTuple): ...` with `typing.NamedTuple` compiles a constructor from source text and
evaluates every field annotation for each record type: about 0.6 ms per type, a tenth of a
check of one app for dfulint's records. `NamedTuple` here builds the same kind of class (a
tuple subclass with the fields as properties, defaults, `_fields`, `_field_defaults`, `_make`,
`_replace`, `_asdict`, the same repr, pickling and `__match_args__`) without compiling anything:
its constructor is one of the precompiled templates below, given the record's field names.

Use it exactly like `typing.NamedTuple`'s class form:

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


# Constructors for 0 to 32 fields; a record's constructor is the template of its arity with the
# parameter names replaced by its field names (see _constructor).
def _n0(_cls): return _tuple_new(_cls, ())
def _n1(_cls, a0): return _tuple_new(_cls, (a0,))
def _n2(_cls, a0, a1): return _tuple_new(_cls, (a0, a1))
def _n3(_cls, a0, a1, a2): return _tuple_new(_cls, (a0, a1, a2))
def _n4(_cls, a0, a1, a2, a3): return _tuple_new(_cls, (a0, a1, a2, a3))
def _n5(_cls, a0, a1, a2, a3, a4): return _tuple_new(_cls, (a0, a1, a2, a3, a4))
def _n6(_cls, a0, a1, a2, a3, a4, a5): return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5))
def _n7(_cls, a0, a1, a2, a3, a4, a5, a6): return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6))
def _n8(_cls, a0, a1, a2, a3, a4, a5, a6, a7): return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7))
def _n9(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8): return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8))
def _n10(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9))
def _n11(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10))
def _n12(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11))
def _n13(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12))
def _n14(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13))
def _n15(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14))
def _n16(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15))
def _n17(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16))
def _n18(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17))
def _n19(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18))
def _n20(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19))
def _n21(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20))
def _n22(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21))
def _n23(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22))
def _n24(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22, a23):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22, a23))
def _n25(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22, a23, a24):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22, a23, a24))
def _n26(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22, a23, a24, a25):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22, a23, a24, a25))
def _n27(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22, a23, a24, a25, a26):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22, a23, a24, a25, a26))
def _n28(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22, a23, a24, a25, a26, a27):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22, a23, a24, a25, a26, a27))
def _n29(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22, a23, a24, a25, a26, a27, a28):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28))
def _n30(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22, a23, a24, a25, a26, a27, a28, a29):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29))
def _n31(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22, a23, a24, a25, a26, a27, a28, a29, a30):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30))
def _n32(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20,
         a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31):
    return _tuple_new(_cls, (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                             a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31))


_TEMPLATES = [_n0, _n1, _n2, _n3, _n4, _n5, _n6, _n7, _n8, _n9, _n10, _n11, _n12, _n13, _n14, _n15, _n16,
              _n17, _n18, _n19, _n20, _n21, _n22, _n23, _n24, _n25, _n26, _n27, _n28, _n29, _n30, _n31, _n32]
MAX_FIELDS = len(_TEMPLATES) - 1


def _constructor(typename: str, fields: tuple, defaults: tuple) -> FunctionType:
    """`__new__(_cls, <fields>)` returning the tuple of its arguments, with `defaults` for the last ones."""
    code = _TEMPLATES[len(fields)].__code__.replace(co_varnames=("_cls",) + fields, co_name="__new__")
    fn = FunctionType(code, _TEMPLATES[0].__globals__, "__new__", defaults or None)
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
    if len(fields) > MAX_FIELDS:
        raise TypeError(f"{typename}: a record has at most {MAX_FIELDS} fields")
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
