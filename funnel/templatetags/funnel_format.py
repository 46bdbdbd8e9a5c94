"""Numbers as Japanese users read them, formatted once and cheaply."""

from decimal import Decimal

from django import template

register = template.Library()

EMPTY = "—"


@register.filter
def count(value):
    """2000 -> '2,000'; None -> '—'."""
    if value is None or value == "":
        return EMPTY
    return f"{value:,}"


@register.filter
def rate(value):
    """Decimal('1.50') -> '1.5'; None -> '—'."""
    if value is None or value == "":
        return EMPTY
    return plain_decimal(value)


@register.filter
def yen(value):
    """12000000 -> '1,200万円'; 150000000 -> '1億5,000万円'; small amounts in 円."""
    if value is None or value == "":
        return EMPTY
    value = int(value)
    sign = "-" if value < 0 else ""
    value = abs(value)
    oku, rest = divmod(value, 10**8)
    man, yen_part = divmod(rest, 10**4)
    if yen_part or value < 10**4:
        return f"{sign}{value:,}円"
    parts = []
    if oku:
        parts.append(f"{oku:,}億")
    if man:
        parts.append(f"{man:,}万")
    return sign + "".join(parts) + "円"


def plain_decimal(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent: 100.00 -> '100', 1.50 -> '1.5'."""
    text = format(Decimal(value).normalize(), "f")
    return text


@register.filter
def rate2(value):
    """The year's overall CV率, always to 2 places: Decimal('1') -> '1.00'."""
    if value is None or value == "":
        return EMPTY
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


@register.filter
def negate(value):
    return None if value is None else -value


@register.filter
def signed(value):
    """A change with its sign: 5 -> '+5', -1200 -> '-1,200', 0 -> '±0'."""
    if value is None or value == "":
        return EMPTY
    if value == 0:
        return "±0"
    return f"{value:+,}"


@register.filter
def index(sequence, position):
    """The quarter that a 1-based month position (3, 6, 9, 12) closes."""
    return sequence[int(position) // 3 - 1]


@register.filter
def percent1(value):
    """An achievement rate: Decimal('95.0') -> '95.0%'; None -> '—'."""
    if value is None or value == "":
        return EMPTY
    return f"{Decimal(value):,.1f}%"
