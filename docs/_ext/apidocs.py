"""Autodoc additions for cavitation's API reference.

- Every field of a parameter set (:class:`cavitation.parameters.Parameters`) is
  documented as an attribute with its type, default, unit, valid range and the source
  of its default, read from the field's own metadata (what ``describe`` prints).
- The names the package re-exports (``cavitation.simulate`` ...) point to where they
  are documented instead of repeating the whole entry.
- A member that a library defined on one of the package's classes (Matplotlib gives
  every subclass of an artist its own ``set``) is left to that library's documentation.
- A dataclass field with a ``default_factory`` shows ``...`` as its default rather
  than ``<factory>``, which Sphinx cannot parse as a signature.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Any

from sphinx.application import Sphinx

import cavitation
from cavitation.parameters import Parameters

#: Run after numpydoc (priority 500), which turns the docstring into reST first.
AFTER_NUMPYDOC = 600

#: The re-export lines replace whatever the other handlers wrote.
LAST = 700


def _quantity_text(field: dataclasses.Field) -> str:
    """One paragraph about a field of a parameter set: its doc, unit and valid range."""
    meta = field.metadata
    doc = meta.get("doc", "")
    if "unit" not in meta:
        return doc
    unit = "" if meta["unit"] in ("", "1") else f" {meta['unit']}"
    low = "(" if meta["low_open"] else "["
    high = ")" if meta["high_open"] else "]"
    return (f"{doc[:1].upper()}{doc[1:]}. Unit: ``{meta['unit'] or '1'}``; valid range:"
            f" ``{low}{meta['low']:g}, {meta['high']:g}{high}{unit}``.")


def _type_name(value: Any) -> str:
    """The type of a field's default, as a reference Sphinx can resolve."""
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__name__
    return f"{kind.__module__}.{kind.__qualname__}"


def parameter_fields(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                     lines: list[str]) -> None:
    """Append an attribute entry for every field of a parameter set's class.

    Parameters
    ----------
    app : Sphinx
        The application.
    what : str
        What autodoc documents (``"class"``, ``"function"``, ...).
    name : str
        Its full name.
    obj : Any
        The object.
    options : Any
        The directive's options.
    lines : list of str
        The docstring's lines, changed in place.
    """
    if what != "class" or not inspect.isclass(obj) or not issubclass(obj, Parameters):
        return
    if obj is Parameters or not dataclasses.is_dataclass(obj):
        return
    defaults = obj()
    for field in dataclasses.fields(obj):
        value = getattr(defaults, field.name)
        lines += ["", f".. py:attribute:: {field.name}", f"   :type: {_type_name(value)}"]
        if not isinstance(value, Parameters):
            lines.append(f"   :value: {value!r}")
        text = (f"A nested parameter set (:class:`{_type_name(value)}`); its fields are"
                f" set as ``{field.name}.NAME``." if isinstance(value, Parameters)
                else _quantity_text(field))
        lines += ["", f"   {text}"]
    lines.append("")


def _home(short: str, obj: Any) -> tuple[str, str] | None:
    """Where a name that the package re-exports is documented: ``(role, full name)``."""
    for module_name in ("joint", "parameters", "render", "simulation"):
        module = importlib.import_module(f"cavitation.{module_name}")
        if short in module.__all__ and getattr(module, short) is obj:
            role = ("class" if inspect.isclass(obj) else "func" if callable(obj) else "data")
            return role, f"cavitation.{module_name}.{short}"
    return None


def _reexported(name: str) -> str | None:
    """``name``'s short name if it is a name that ``cavitation`` re-exports."""
    prefix, _, short = name.rpartition(".")
    return short if prefix == "cavitation" and short in cavitation.__all__ else None


def reexport_docstring(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                       lines: list[str]) -> None:
    """Replace a re-exported name's docstring by a reference to its home.

    Parameters are those of :func:`parameter_fields`.
    """
    short = _reexported(name)
    home = _home(short, obj) if short else None
    if home is not None:
        role, target = home
        lines[:] = [f"The same object as :py:{role}:`{target}`, documented there.", ""]


def skip_foreign(app: Sphinx, what: str, name: str, obj: Any, skip: bool,
                 options: Any) -> bool | None:
    """Skip a member whose code belongs to another library.

    Parameters
    ----------
    app : Sphinx
        The application.
    what : str
        What the member belongs to (``"class"``, ``"module"``).
    name : str
        The member's name.
    obj : Any
        The member.
    skip : bool
        Whether autodoc would skip it.
    options : Any
        The directive's options.

    Returns
    -------
    bool or None
        True to skip a method defined by another package; None leaves the choice to
        autodoc.
    """
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and callable(obj) and module.split(".")[0] not in ("cavitation", ""):
        return True
    return None


def signature(app: Sphinx, what: str, name: str, obj: Any, options: Any, text: str | None,
              return_annotation: str | None) -> tuple[str | None, str | None] | None:
    """A class's signature without ``<factory>``; none for a re-exported class.

    Parameters
    ----------
    app : Sphinx
        The application.
    what, name, obj, options :
        As in :func:`parameter_fields`.
    text : str or None
        The signature, in parentheses.
    return_annotation : str or None
        Its return annotation.

    Returns
    -------
    tuple or None
        The changed signature and annotation, or None to keep them.
    """
    if what == "class" and _reexported(name):
        return "", None
    if text and "<factory>" in text:
        return text.replace("<factory>", "..."), return_annotation
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the handlers.

    Parameters
    ----------
    app : Sphinx
        The application.

    Returns
    -------
    dict
        The extension's metadata.
    """
    app.connect("autodoc-process-docstring", parameter_fields, priority=AFTER_NUMPYDOC)
    app.connect("autodoc-process-docstring", reexport_docstring, priority=LAST)
    app.connect("autodoc-process-signature", signature)
    app.connect("autodoc-skip-member", skip_foreign)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
