"""Conventions from other billing systems: tiers with flat fees, packages with free units.

Orb has no model for these, so they are orbcore's own model types, registered under
``orbcore_`` names and written in Orb's JSON shape (``model_type`` +
``<model_type>_config``), so that they round-trip like Orb's. Where billing systems
disagree, the choice is a named option with a documented default; defaults follow Orb
where Orb has a rule.

Tiers are written as Orb's ``tiered`` writes them, ``first_unit`` and ``last_unit``, plus
a ``flat_amount``. The option ``tier_bounds`` says how to read the bounds:

* ``"orb"`` (the default): ``first_unit`` is exclusive and ``last_unit`` inclusive; a tier
  holds the quantity above ``first_unit`` up to ``last_unit``, and the next tier starts
  where the previous ends (0-10, 10-20, 20-).
* ``"inclusive"``: both bounds are inclusive, as Lago and Lotus write them; the next tier
  starts one unit above the previous one's ``last_unit`` (0-10, 11-20, 21-). A quantity
  between two tiers (10.5) belongs to the upper one, which holds everything above the
  previous ``last_unit``.

Both styles cut the same quantities at the same places; the option exists so that a
table written the other way is read as meant, not as a gap or an overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cached_property
from typing import Literal

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import exact_add, exact_mul, exact_sub
from orbcore.pricing._fields import NonNegativeAmount, Number, PositiveNumber
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total
from orbcore.pricing._tiers import whole_packages

__all__ = [
    "FlatFeeTier",
    "OrbcoreGraduatedConfig",
    "OrbcorePackageConfig",
    "OrbcoreVolumeConfig",
]

TierBounds = Literal["orb", "inclusive"]
"""How tier bounds are read: Orb's (first exclusive, last inclusive) or both inclusive."""

_ZERO = Decimal(0)
_ONE = Decimal(1)


class FlatFeeTier(PriceConfig):
    """A tier with a rate per unit and a flat fee, due once usage enters the tier.

    ``last_unit`` is ``None`` for the last tier, which is open.
    """

    first_unit: Number
    last_unit: Number | None = None
    unit_amount: NonNegativeAmount
    flat_amount: NonNegativeAmount = _ZERO


def lower_bounds(tiers: Sequence[FlatFeeTier], bounds: TierBounds) -> list[Decimal]:
    """The quantity each tier starts above (exclusive), whatever the bound style.

    With inclusive bounds a tier written from 11 holds what is above 10.
    """
    if bounds == "orb":
        return [tier.first_unit for tier in tiers]
    return [
        tier.first_unit if index == 0 else exact_sub(tier.first_unit, _ONE)
        for index, tier in enumerate(tiers)
    ]


def tier_problems(tiers: Sequence[FlatFeeTier], bounds: TierBounds) -> list[Problem]:
    """Gaps, overlaps, empty tiers and a closed last tier, with their paths.

    The first tier starts at 0; each next one where the previous ends (``"orb"``) or one
    unit above it (``"inclusive"``); only the last is open, and it must be, so that every
    quantity has a tier.
    """
    step = _ZERO if bounds == "orb" else _ONE
    problems = []
    expected = _ZERO
    lowers = lower_bounds(tiers, bounds)
    for index, (tier, lower) in enumerate(zip(tiers, lowers, strict=True)):
        where = ("tiers", index)
        if tier.first_unit != expected:
            kind = "a gap" if tier.first_unit > expected else "an overlap"
            problems.append(Problem((*where, "first_unit"), f"leaves {kind}: expected {expected}"))
        last = tier.last_unit
        if last is None:
            if index != len(tiers) - 1:
                problems.append(Problem((*where, "last_unit"), "only the last tier is open"))
                break
            continue
        if last <= lower:
            problems.append(Problem((*where, "last_unit"), "leaves the tier empty"))
        if index == len(tiers) - 1:
            problems.append(Problem((*where, "last_unit"), "the last tier must be open (null)"))
        expected = exact_add(last, step)
    return problems


TierRow = tuple[FlatFeeTier, Decimal, str]
"""A tier, the quantity it starts above, and its name."""


def tier_rows(tiers: Sequence[FlatFeeTier], bounds: TierBounds) -> list[TierRow]:
    """Each tier with its exclusive lower bound and a name showing its bounds as written,
    such as ``tier 2 (11-20)``."""
    names = [
        f"tier {n} ({format(t.first_unit, 'f')}-"
        f"{'' if t.last_unit is None else format(t.last_unit, 'f')})"
        for n, t in enumerate(tiers, start=1)
    ]
    return list(zip(tiers, lower_bounds(tiers, bounds), names, strict=True))


def flat_fee_line(name: str, tier: FlatFeeTier) -> list[SubLine]:
    """The tier's flat fee as a sub-line of its own; none when the fee is zero."""
    if not tier.flat_amount:
        return []
    return [SubLine(f"{name} flat fee", _ONE, tier.flat_amount)]


class _FlatFeeTiers(PriceConfig):
    """What graduated and volume tiers with flat fees share: the tiers and two options."""

    tiers: list[FlatFeeTier] = Field(min_length=1)
    tier_bounds: TierBounds = "orb"
    first_flat_at_zero: bool = True

    def problems(self) -> list[Problem]:
        return tier_problems(self.tiers, self.tier_bounds)

    @cached_property
    def _rows(self) -> list[TierRow]:
        return tier_rows(self.tiers, self.tier_bounds)


@price_model("orbcore_graduated")
class OrbcoreGraduatedConfig(_FlatFeeTiers):
    """Graduated tiers with a flat fee per tier (Lago's, Flexprice's and OpenMeter's
    graduated; Orb's ``tiered`` with ``flat_amount`` added).

    Each unit pays the rate of the tier it falls in, and each tier that usage enters adds
    its ``flat_amount`` once. Usage enters a tier when it exceeds the tier's lower bound.
    ``first_flat_at_zero`` (default ``True``) makes the first tier's flat fee due even at
    zero usage, as a base fee; ``False`` charges it only once there is usage.
    """

    def evaluate(self, usage: Usage) -> PriceResult:
        quantity = usage.quantity
        lines: list[SubLine] = []
        for index, (tier, lower, name) in enumerate(self._rows):
            entered = quantity > lower
            if index and not entered:
                break
            last = tier.last_unit
            top = quantity if last is None or quantity < last else last
            units = exact_sub(top, lower) if entered else _ZERO
            lines.append(SubLine(name, units, exact_mul(units, tier.unit_amount), tier.unit_amount))
            if entered or self.first_flat_at_zero:
                lines += flat_fee_line(name, tier)
        return total(self.model_type, quantity, lines)


@price_model("orbcore_volume")
class OrbcoreVolumeConfig(_FlatFeeTiers):
    """Volume tiers with a flat fee per tier (Lago's volume, Flexprice's ``VOLUME``,
    OpenMeter's volume tiers).

    The tier the whole quantity falls in prices every unit and adds its ``flat_amount``;
    the other tiers charge nothing. A quantity at a tier's ``last_unit`` stays in that
    tier. Zero usage is in the first tier; ``first_flat_at_zero`` (default ``True``)
    decides whether its flat fee is due then.
    """

    def evaluate(self, usage: Usage) -> PriceResult:
        quantity = usage.quantity
        # The last tier is open, so some tier always holds the quantity.
        tier, lower, name = next(
            row for row in self._rows if row[0].last_unit is None or quantity <= row[0].last_unit
        )
        amount = exact_mul(quantity, tier.unit_amount)
        lines = [SubLine(f"{name}, all units", quantity, amount, tier.unit_amount)]
        if quantity > lower or self.first_flat_at_zero:
            lines += flat_fee_line(name, tier)
        return total(self.model_type, quantity, lines)


@price_model("orbcore_package")
class OrbcorePackageConfig(PriceConfig):
    """Package pricing with free units (Lago's package, Flexprice's ``PACKAGE``).

    The first ``free_units`` of the quantity are free; what is left is billed in whole
    packages, ``ceil((quantity - free_units) / package_size) x package_amount``. When
    nothing is left to bill (no usage, or all of it free), ``one_package_at_zero``
    decides: ``False`` (the default, Orb's ``package``) bills no package, ``True`` bills
    one, as a minimum.
    """

    package_amount: NonNegativeAmount
    package_size: PositiveNumber
    free_units: Number = _ZERO
    one_package_at_zero: bool = False

    def evaluate(self, usage: Usage) -> PriceResult:
        quantity = usage.quantity
        free = min(quantity, self.free_units)
        packages = whole_packages(exact_sub(quantity, free), self.package_size)
        lines = [] if not self.free_units else [SubLine("free units", free, _ZERO)]
        name = f"packages of {format(self.package_size, 'f')}"
        price = self.package_amount
        lines.append(SubLine(name, packages, exact_mul(packages, price), price))
        if not packages and self.one_package_at_zero:
            lines.append(SubLine("at least one package", _ONE, price, price))
        return total(self.model_type, quantity, lines)
