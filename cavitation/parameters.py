"""Parameter sets: frozen dataclasses whose every field carries a unit and a valid range.

A parameter is declared with :func:`quantity`, which stores its unit, its valid range
and a one-line description in the dataclass field's metadata. Classes derived from
:class:`Parameters` check every field when they are built, so an out-of-range value
never reaches the physics, and :func:`replace` rejects unknown names. Both raise
``ValueError`` with a message that names the parameter, the value, the unit and the
valid range.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple, Self, TypeVar, cast, dataclass_transform

__all__ = ["Parameters", "Row", "check_choice", "check_count", "check_range", "clamp",
           "describe", "names",
           "quantity", "renamed", "replace"]

P = TypeVar("P", bound="Parameters")


def quantity(
    default: float,
    *,
    unit: str,
    low: float,
    high: float,
    doc: str,
    low_open: bool = False,
    high_open: bool = False,
) -> Any:
    """Declare a dataclass field that is a physical quantity.

    Parameters
    ----------
    default : float
        Default value, in ``unit``.
    unit : str
        SI unit, written plainly (``"m"``, ``"Pa"``, ``"N/m"``).
    low, high : float
        Valid range, in ``unit``. ``math.inf`` is allowed for an open end.
    doc : str
        One line: what the quantity is, and where its default comes from.
    low_open, high_open : bool
        Exclude the end itself from the valid range.
    """
    meta = {"unit": unit, "low": low, "high": high, "doc": doc,
            "low_open": low_open, "high_open": high_open}
    return dataclasses.field(default=default, metadata=meta)


def check_choice(kind: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError`` listing them."""
    if value not in choices:
        raise ValueError(f"unknown {kind} {value!r}; valid choices: {', '.join(choices)}")
    return value


def _unit(unit: str) -> str:
    """`` unit`` to print after a number; nothing for a dimensionless ``"1"``."""
    return "" if unit in ("", "1") else f" {unit}"


def _range_text(low: float, high: float, low_open: bool, high_open: bool, unit: str) -> str:
    left = "(" if low_open or math.isinf(low) else "["
    right = ")" if high_open or math.isinf(high) else "]"
    return f"{left}{low:g}, {high:g}{right}{_unit(unit)}"


def check_range(
    name: str,
    value: Any,
    unit: str,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` if it is outside its range.

    Parameters
    ----------
    name : str
        The parameter's name, as the user wrote it.
    value : Any
        The value to check; must be a finite real number.
    unit : str
        Its unit, for the message.
    low, high : float
        Valid range, in ``unit``.
    low_open, high_open : bool
        Exclude the end itself from the valid range.

    Returns
    -------
    float
        ``value`` converted to float.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} = {value!r} is not a number; valid range:"
            f" {_range_text(low, high, low_open, high_open, unit)}"
        ) from None
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if not math.isfinite(number) or too_low or too_high:
        raise ValueError(f"{name} = {value!r}{_unit(unit)} is out of range; valid range:"
                         f" {_range_text(low, high, low_open, high_open, unit)}")
    return number


def check_count(name: str, value: Any, low: int, high: int) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` if it is not a whole number in
    ``[low, high]`` (a count, a seed, a number of workers; ``True`` is not one)."""
    valid = f"valid range: {_range_text(low, high, False, False, '1')}"
    if isinstance(value, bool) or str(getattr(value, "dtype", "")) == "bool":  # numpy's too
        raise ValueError(f"{name} = {value!r} is not a whole number; {valid}")
    try:
        whole = operator.index(value)  # an int, exactly (a float would round 2**53 + 1)
    except TypeError:
        number = check_range(name, value, "1", low, high)
        if number != int(number):
            raise ValueError(f"{name} = {value!r} is not a whole number; {valid}") from None
        whole = int(number)
    if not low <= whole <= high:
        raise ValueError(f"{name} = {value!r} is out of range; {valid}")
    return whole


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
class Parameters:
    """Base of every parameter set: checks each :func:`quantity` field when built.

    Subclasses are made frozen dataclasses automatically (declared to type checkers with
    ``typing.dataclass_transform``, so that they know the fields and the keywords).
    """

    #: Set on each subclass by ``dataclasses.dataclass``: it makes every parameter set a
    #: dataclass instance to a type checker too.
    __dataclass_fields__: ClassVar[dict[str, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True)(cls)

    def __post_init__(self) -> None:
        prefix = type(self).__name__
        for f in dataclasses.fields(self):
            meta = f.metadata
            if "unit" not in meta:
                continue
            number = check_range(
                f"{prefix}.{f.name}", getattr(self, f.name), meta["unit"],
                meta["low"], meta["high"],
                low_open=meta["low_open"], high_open=meta["high_open"],
            )
            object.__setattr__(self, f.name, number)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Build from a mapping of field names to values, rejecting unknown names."""
        return replace(cls(), **values)

    def as_dict(self) -> dict[str, Any]:
        """The parameters as a plain ``{name: value}`` dictionary (SI units).

        Nested parameter sets become nested dictionaries; the values are numbers and
        strings, which need no copy (``dataclasses.asdict`` would deep-copy each).
        """
        return {f.name: value.as_dict() if isinstance(value, Parameters) else value
                for f in dataclasses.fields(self)
                for value in (getattr(self, f.name),)}


def names(params: Parameters) -> list[str]:
    """Every settable name of ``params``; nested parameter sets as ``"capsule.law"``."""
    out: list[str] = []
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if isinstance(value, Parameters):
            out.extend(f"{f.name}.{sub}" for sub in names(value))
        else:
            out.append(f.name)
    return out


def clamp(params: Parameters, name: str, value: float) -> float:
    """``value`` held inside the valid range of field ``name`` (dotted for a nested set)
    of ``params``: an end that is excluded from the range is approached to 1e-9 of it."""
    head, _, rest = name.partition(".")
    if rest:
        return clamp(getattr(params, head), rest, value)
    meta = next(f.metadata for f in dataclasses.fields(params) if f.name == name)
    low, high = meta["low"], meta["high"]
    if meta["low_open"]:
        low = low + max(abs(low), 1.0) * 1e-9
    if meta["high_open"]:
        high = high - max(abs(high), 1.0) * 1e-9
    return min(max(value, low), high)


def replace(params: P, **changes: Any) -> P:
    """Return a copy of ``params`` with some fields changed, each checked.

    A field of a nested parameter set is named with a dot: ``capsule.compliance_m3_pa``.

    Raises
    ------
    ValueError
        If a name is not a field of ``params`` (the message lists the valid names), or
        a value is outside its range.
    """
    valid = names(params)
    direct: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for name, value in changes.items():
        if name not in valid:
            raise ValueError(
                f"unknown parameter {name!r} for {type(params).__name__}; "
                f"valid names: {', '.join(valid)}"
            )
        head, _, rest = name.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            direct[name] = value
    for head, sub in nested.items():
        inner = direct.get(head, getattr(params, head))
        try:
            direct[head] = replace(inner, **sub)
        except ValueError as err:
            raise renamed(err, inner, head) from None
    return cast(P, dataclasses.replace(params, **direct))


def renamed(err: ValueError, params: Parameters, name: str) -> ValueError:
    """``err`` about a field of ``params``, naming it ``name.field`` as the caller wrote it.

    A nested set's error says ``SynovialFluid.viscosity_pa_s``; the caller wrote
    ``fluid.viscosity_pa_s``.
    """
    prefix = f"{type(params).__name__}."
    text = str(err)
    return ValueError(f"{name}.{text.removeprefix(prefix)}" if text.startswith(prefix)
                      else text)


class Row(NamedTuple):
    """One parameter as :func:`describe` gives it."""

    name: str
    """Settable name, dotted for a nested set (``capsule.compliance_m3_pa``)."""
    value: Any
    """Its value, in ``unit``."""
    unit: str
    """SI unit (``""`` for a field that is not a quantity: a name, a law)."""
    doc: str
    """What it is, and where its value comes from."""
    valid: str
    """Its valid range as text (``"[0.001, 10]"``; ``"(0, inf)"`` with open ends), or
    ``""``."""
    low: float | None
    """Lower end of the valid range, in ``unit``; None for a field that is not a quantity."""
    high: float | None
    """Upper end of the valid range, in ``unit``; None for a field that is not a quantity."""


def describe(params: Parameters) -> list[Row]:
    """A :class:`Row` (name, value, unit, description, valid range) for every field of
    ``params``.

    Nested parameter sets are flattened with dotted names; a field that is not a
    quantity (a name, a law) has an empty unit and no range.
    """
    rows: list[Row] = []
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if isinstance(value, Parameters):
            rows.extend(row._replace(name=f"{f.name}.{row.name}") for row in describe(value))
            continue
        meta = f.metadata
        quantity_ = "low" in meta
        rows.append(Row(f.name, value, meta.get("unit", ""), meta.get("doc", ""),
                        _range_text(meta["low"], meta["high"], meta["low_open"],
                                    meta["high_open"], "") if quantity_ else "",
                        meta["low"] if quantity_ else None,
                        meta["high"] if quantity_ else None))
    return rows
