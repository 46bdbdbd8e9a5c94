"""Numbers, money and years as Japanese users read them: the one place that
formats them, imported by templates (through thin filters), exports and
services alike."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

EMPTY = "—"


def count(value):
    """2000 -> '2,000'; None -> '—'."""
    if value is None or value == "":
        return EMPTY
    return f"{value:,}"


def plain_decimal(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent: 100.00 -> '100', 1.50 -> '1.5'."""
    return format(Decimal(value).normalize(), "f")


def rate(value):
    """Decimal('1.50') -> '1.5'; None -> '—'."""
    if value is None or value == "":
        return EMPTY
    return plain_decimal(value)


def rate2(value):
    """The year's overall CV率, always to 2 places: Decimal('1') -> '1.00'."""
    if value is None or value == "":
        return EMPTY
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


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


MAN = 10**4


def man_yen(value, *, sign=False):
    """An amount in 万円, the one unit of a column of money (yen() switches to
    円 for amounts that are not whole 万): 12000000 -> '1,200万円',
    12345678 -> '1,234.6万円' (to 0.1万, half up); ``sign``: '+', '-' or '±'
    in front, for a difference. None -> '—'."""
    if value is None or value == "":
        return EMPTY
    man = (Decimal(int(value)) / MAN).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if man == man.to_integral_value():
        man = man.quantize(Decimal(1))
    text = f"{abs(man):,}万円"
    if man < 0:
        return "-" + text
    if sign:
        return ("+" if man > 0 else "±") + text
    return text


def signed(value):
    """A change with its sign: 5 -> '+5', -1200 -> '-1,200', 0 -> '±0'."""
    if value is None or value == "":
        return EMPTY
    if value == 0:
        return "±0"
    return f"{value:+,}"


def percent1(value):
    """An achievement rate: Decimal('95.0') -> '95.0%'; None -> '—'."""
    if value is None or value == "":
        return EMPTY
    return f"{Decimal(value):,.1f}%"


def count_text(value):
    """A stored count as an input shows it: '' for none, no separators."""
    return "" if value is None else str(value)


def rate_text(value):
    """A stored rate as an input shows it: '' for none, '1.5' for 1.50."""
    return "" if value is None else plain_decimal(value)


def yen_text(value):
    """A stored amount as an input shows it: '' for none, '12,000,000'."""
    return "" if value is None else f"{value:,}"


def month_label(month):
    """'4月'."""
    return _("%(month)d月") % {"month": month}


def year_label(account, year):
    """'2026年', or '2026年度' when the account's fiscal year starts after January."""
    if account.fiscal_year_start_month == 1:
        return _("%(year)d年") % {"year": year}
    return _("%(year)d年度") % {"year": year}
