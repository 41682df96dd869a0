"""Small record classes without the start-up cost of ``dataclasses``.

``dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis`` and
``tokenize``) and compiles generated code for every class, which together
cost about a tenth of a small file's whole ``sealfile decrypt``.  The classes
on that path (key types, settings, metadata, selectors) are plain records
built a few times per run, so :func:`record` gives them what they use from
dataclasses: an ``__init__`` taking the fields in order or by name, defaults
(:func:`default_factory` for mutable ones), ``__repr__`` (fields marked
``hidden`` show as ``...``), ``__eq__``, and for ``frozen`` records
immutability and ``__hash__``.  It generates no code: the methods are
closures over the field list.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

__all__ = ["record", "default_factory", "replace"]

T = TypeVar("T")
_MISSING = object()


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def default_factory(make: Callable[[], Any]) -> Any:
    """A field default built anew for each instance (``default_factory=`` of dataclasses)."""
    return _Factory(make)


def _fields(cls: type) -> list[tuple[str, Any]]:
    """(name, default) for each annotated field of ``cls`` and its record bases, in order (not ClassVars)."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if "ClassVar" in str(annotation):
                continue
            out[name] = vars(klass).get(name, out.get(name, _MISSING))
    return list(out.items())


def record(cls: type[T] | None = None, *, frozen: bool = False, hidden: tuple[str, ...] = (),
           uncompared: tuple[str, ...] = ()) -> Any:
    """Make ``cls`` a record of its annotated fields (see the module docstring).

    ``uncompared`` fields take no part in ``==`` and ``hash`` (``compare=False`` of dataclasses).
    """
    def build(klass: type[T]) -> type[T]:
        fields = _fields(klass)
        names = tuple(name for name, _ in fields)
        compared = tuple(name for name in names if name not in uncompared)
        for name, default in fields:
            if default is not _MISSING and name in vars(klass):
                delattr(klass, name)  # the instance attribute, not a class attribute, holds the value
        setattr_ = object.__setattr__

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if len(args) > len(names):
                raise TypeError(f"{klass.__name__}() takes at most {len(names)} positional arguments")
            for i, (name, default) in enumerate(fields):
                if i < len(args):
                    if name in kwargs:
                        raise TypeError(f"{klass.__name__}() got two values for {name!r}")
                    value = args[i]
                elif name in kwargs:
                    value = kwargs.pop(name)
                elif default is _MISSING:
                    raise TypeError(f"{klass.__name__}() missing argument {name!r}")
                else:
                    value = default.make() if isinstance(default, _Factory) else default
                setattr_(self, name, value)
            if kwargs:
                raise TypeError(f"{klass.__name__}() got unexpected arguments {sorted(kwargs)}")
            post_init = getattr(self, "__post_init__", None)
            if post_init is not None:
                post_init()

        def __repr__(self: Any) -> str:
            shown = ", ".join(f"{n}=..." if n in hidden else f"{n}={getattr(self, n)!r}" for n in names)
            return f"{klass.__name__}({shown})"

        def __eq__(self: Any, other: object) -> bool:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return all(getattr(self, n) == getattr(other, n) for n in compared)

        klass.__init__ = __init__  # type: ignore[misc]
        if "__repr__" not in vars(klass):
            klass.__repr__ = __repr__  # type: ignore[method-assign]
        if "__eq__" not in vars(klass):
            klass.__eq__ = __eq__  # type: ignore[method-assign, assignment]
        klass.__record_fields__ = names  # type: ignore[attr-defined]
        if frozen:
            def __setattr__(self: Any, name: str, value: Any) -> None:
                raise AttributeError(f"{klass.__name__} is immutable: cannot set {name!r}")

            def __hash__(self: Any) -> int:
                return hash(tuple(getattr(self, n) for n in compared))

            klass.__setattr__ = __setattr__  # type: ignore[method-assign, assignment]
            klass.__delattr__ = __setattr__  # type: ignore[method-assign, assignment]
            if "__hash__" not in vars(klass) or vars(klass)["__hash__"] is None:
                klass.__hash__ = __hash__  # type: ignore[method-assign, assignment]
        else:
            klass.__hash__ = None  # type: ignore[assignment]  # mutable records are unhashable, as dataclasses
        return klass

    return build if cls is None else build(cls)


def replace(obj: T, **changes: Any) -> T:
    """A copy of record ``obj`` with ``changes`` (``dataclasses.replace``)."""
    values = {name: getattr(obj, name) for name in obj.__record_fields__}  # type: ignore[attr-defined]
    values.update(changes)
    return obj.__class__(**values)
