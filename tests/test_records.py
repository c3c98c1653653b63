"""dfulint.records.NamedTuple behaves as typing.NamedTuple's class form does."""
from __future__ import annotations

import copy
import pickle
import typing
from pathlib import Path
from typing import Optional

import pytest

from dfulint import records
from dfulint.records import NamedTuple


class Point(NamedTuple):
    """A place."""

    path: Path
    line: int = 1
    end: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def twice(self) -> int:
        return self.line * 2


class TypingPoint(typing.NamedTuple):
    """A place."""

    path: Path
    line: int = 1
    end: Optional[int] = None


class Bare(NamedTuple):
    a: int
    b: str


def test_a_record_is_what_typing_namedtuple_makes():
    p, t = Point(Path("a"), 3), TypingPoint(Path("a"), 3)
    assert tuple(p) == tuple(t) == (Path("a"), 3, None)
    assert p == t and hash(p) == hash(t)
    assert repr(p) == repr(t).replace("TypingPoint", "Point")
    assert repr(Bare(1, "x")) == "Bare(a=1, b='x')"
    assert p._fields == t._fields == ("path", "line", "end")
    assert p._field_defaults == t._field_defaults == {"line": 1, "end": None}
    assert p._asdict() == t._asdict() and type(p._asdict()) is dict
    assert p._replace(line=9) == Point(Path("a"), 9) and type(p._replace(line=9)) is Point
    assert Point._make([Path("b"), 2, 4]) == Point(path=Path("b"), line=2, end=4)
    assert Point.__match_args__ == ("path", "line", "end")
    assert Point.__doc__ == "A place." and Bare.__doc__ == "Bare(a, b)"
    assert Point.__module__ == __name__ and Point.__qualname__ == "Point"
    assert isinstance(p, tuple) and Point.__mro__ == (Point, tuple, object)
    assert not hasattr(p, "__dict__")
    assert str(p) == "a:3" and p.twice == 6
    assert p.line == p[1] == 3 and p[-1] is None
    assert sorted([Bare(2, "a"), Bare(1, "b")]) == [Bare(1, "b"), Bare(2, "a")]


def test_records_pickle_and_copy():
    p = Point(Path("a"), 3, 5)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        q = pickle.loads(pickle.dumps(p, proto))
        assert q == p and type(q) is Point
    assert copy.copy(p) == p and copy.deepcopy(p) == p and type(copy.deepcopy(p)) is Point


def test_records_refuse_what_typing_namedtuple_refuses():
    with pytest.raises(TypeError):
        Point()
    with pytest.raises(TypeError):
        Point(Path("a"), 1, 2, 3)
    with pytest.raises(TypeError):
        Point(Path("a"), nope=1)
    with pytest.raises(ValueError):
        Point(Path("a"))._replace(nope=1)
    with pytest.raises(TypeError):
        Point._make([1])
    with pytest.raises(AttributeError):
        Point(Path("a")).line = 2
    with pytest.raises(TypeError):
        class Late(NamedTuple):
            a: int = 1
            b: int
    with pytest.raises(AttributeError):
        class Bad(NamedTuple):
            a: int

            def _asdict(self):
                return {}
    with pytest.raises(ValueError):
        class Private(NamedTuple):
            _a: int


def test_every_arity_builds_its_tuple():
    for n in range(40):
        names = tuple(f"f{i}" for i in range(n))
        cls = records.record_type(f"R{n}", names, {}, {"__module__": __name__})
        values = tuple(range(n))
        assert tuple(cls(*values)) == values
        assert tuple(cls(**dict(zip(names, values)))) == values
        assert cls._fields == names


def test_dfulint_defines_its_records_with_the_cheap_form():
    """typing.NamedTuple costs a compile per type at import: dfulint's modules use dfulint.records."""
    import ast

    root = Path(__file__).resolve().parent.parent / "dfulint"
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "typing" and \
                    any(a.name == "NamedTuple" for a in node.names):
                offenders.append(str(path.relative_to(root)))
            if isinstance(node, ast.Attribute) and node.attr == "NamedTuple" and \
                    isinstance(node.value, ast.Name) and node.value.id in ("typing", "t"):
                offenders.append(str(path.relative_to(root)))
    assert not offenders


def _dfulint_records():
    import importlib
    import pkgutil

    import dfulint

    found = {}
    for info in pkgutil.walk_packages(dfulint.__path__, "dfulint."):
        if info.name in ("dfulint.server", "dfulint.__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, tuple) and value.__module__ == info.name and \
                    getattr(value, "_repr_fmt", None) is not None:
                found[f"{info.name}.{value.__qualname__}"] = value
    return found


def test_every_dfulint_record_matches_its_typing_namedtuple_twin():
    """Each record type against typing.NamedTuple built from the same fields and defaults:
    signature, fields, defaults, repr, equality, hash, _replace, _asdict, _make, pickling."""
    import inspect

    records_found = _dfulint_records()
    assert len(records_found) > 50
    for name, cls in records_found.items():
        ns = {"__annotations__": {f: object for f in cls._fields}, **cls._field_defaults}
        twin = typing.NamedTupleMeta(cls.__name__, (typing._NamedTuple,), {**ns, "__module__": __name__})
        assert cls._fields == twin._fields, name
        assert cls._field_defaults == twin._field_defaults, name
        params = [[(p.name, p.default, p.kind) for p in inspect.signature(c).parameters.values()] for c in (cls, twin)]
        assert params[0] == params[1], name
        values = [f"v{i}" for i in range(len(cls._fields))]
        a, b = cls(*values), twin(*values)
        assert tuple(a) == tuple(b), name
        if cls.__eq__ is tuple.__eq__ and cls.__hash__ is tuple.__hash__:     # not its own
            assert a == b and hash(a) == hash(b), name
        if type(a).__repr__ is records._repr:
            assert repr(a) == repr(b), name
        assert a._asdict() == b._asdict(), name
        if cls._fields:
            f = cls._fields[-1]
            assert tuple(a._replace(**{f: 1})) == tuple(b._replace(**{f: 1})), name
            assert type(a._replace(**{f: 1})) is cls, name
        # a record with an equality of its own (Target: identity) is compared field by field here
        same = (lambda x, y: tuple(x) == tuple(y)) if cls.__eq__ is not tuple.__eq__ else (lambda x, y: x == y)
        assert type(cls._make(values)) is cls and same(cls._make(values), a), name
        assert same(pickle.loads(pickle.dumps(a)), a) and type(pickle.loads(pickle.dumps(a))) is cls, name
        if cls._field_defaults:
            required = [v for f, v in zip(cls._fields, values) if f not in cls._field_defaults]
            assert same(cls(*required), twin(*required)), name
