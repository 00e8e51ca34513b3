"""Money: `Decimal` amounts with an ISO 4217 currency, never floats, and the one rounding rule.

The rule: a line's net (unit price x quantity) and its tax (net x tax rate) are each rounded
once, half up (ROUND_HALF_UP, as Indian GST and most invoicing rules state), to the
currency's minor unit (two decimals for every currency OHMS bills in); the line's total is
their sum. An invoice's net, tax and total are sums of its lines, never rounded again."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENTS = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(unit_price: Decimal, quantity: int, tax_rate: Decimal) -> LineAmounts:
    """A line's net, tax and total by the rule above."""
    net = round_money(unit_price * quantity)
    tax = round_money(net * tax_rate)
    return LineAmounts(net=net, tax=tax, total=net + tax)
