"""What users type -> int / Decimal, or a ParseError with a code; and the rounding rule.

One normalisation policy everywhere: Unicode NFKC (full-width digits, the
full-width comma, period and percent sign become their ASCII forms), then
surrounding white space is stripped. Only ASCII and full-width digits are
digits: any other numeric character (superscript ``²``, circled ``①``,
fractions ``½``, Arabic-Indic ``٢``) is refused before NFKC could turn it into
an ASCII digit, so no input is read as a number the user did not see. A thousands separator is accepted only in its proper places (``1,200``,
``12,000,000``); ``1_200``, ``1e9``, ``NaN`` and ``Infinity`` are refused.

No Django here: errors carry a code, and the form layer turns the code into a
translated message.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

# Counts that are needed to reach a target are rounded up: rounding down would
# plan to miss it. Named once, used by every "needed" computation.
NEEDED_ROUNDING = ROUND_CEILING
# Rates shown to the user (a year's overall CV率) are rounded half up to 2 places.
DISPLAY_ROUNDING = ROUND_HALF_UP

# Upper limits keep every accepted value inside what PostgreSQL's integer and
# bigint columns and SQLite store alike, and far above any real plan.
MAX_COUNT = 100_000_000  # a count per month or per plan (1億)
MAX_YEN = 1_000_000_000_000  # 1兆円
RATE_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)

_INTEGER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)\Z", re.ASCII)
_RATE = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%?\Z", re.ASCII)


@dataclass(frozen=True)
class ParseError(ValueError):
    """A value the user typed that we refuse; ``code`` names why."""

    code: str

    def __str__(self):
        return self.code


def normalise(text: str) -> str:
    """NFKC, then strip: the one normalisation every numeric input goes through."""
    return unicodedata.normalize("NFKC", text).strip()


def _number_text(text: str) -> str:
    """``normalise(text)``, refusing every numeric character that is not an
    ASCII or full-width digit (NFKC would read ``²`` as 2 and ``①`` as 1)."""
    for char in text:
        if unicodedata.category(char).startswith("N") and not (
            "0" <= char <= "9" or "０" <= char <= "９"
        ):
            raise ParseError("invalid")
    return normalise(text)


def _parse_integer(text: str, *, maximum: int) -> int | None:
    value = _number_text(text)
    if value == "":
        return None
    if value.startswith("-") or value.startswith("−"):
        raise ParseError("negative")
    if re.fullmatch(r"\d+\.\d+", value.replace(",", ""), re.ASCII):
        raise ParseError("fraction")
    if not _INTEGER.match(value):
        raise ParseError("invalid")
    digits = value.replace(",", "").lstrip("0") or "0"
    # More digits than the limit has is too large, and is never handed to
    # int(): Python refuses over 4,300 digits with a plain ValueError (a 500
    # through a form's hidden base_* value, which has no max_length).
    if len(digits) > len(str(maximum)):
        raise ParseError("too_large")
    number = int(digits)
    if number > maximum:
        raise ParseError("too_large")
    return number


def parse_count(text: str) -> int | None:
    """A whole number of things (CV数, 商談数): ``None`` when left empty."""
    return _parse_integer(text, maximum=MAX_COUNT)


# Money as people write it: a number, with a unit of 億 (10^8) or 万 (10^4)
# after it, and then the smaller units: ``1億2,000万``, ``1万5000``. A term
# may have a decimal point only when it is the last one and has a unit
# (``1.2億``); a term after a larger unit stays below it (``1億12000万`` reads
# as a typing slip, not as 2億2,000万), and plain yen straight after 億
# (``1億5000``) is refused as ambiguous (5,000円 or 5,000万?).
_YEN_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_YEN_AMOUNT = re.compile(
    rf"(?:(?P<oku>{_YEN_NUMBER}(?:\.\d+)?)億)?"
    rf"(?:(?P<man>{_YEN_NUMBER}(?:\.\d+)?)万)?"
    rf"(?P<yen>{_YEN_NUMBER}(?:\.\d+)?)?\Z",
    re.ASCII,
)
_YEN_UNITS = (("oku", 8), ("man", 4), ("yen", 0))
# The yen sign before (NFKC turns the full-width ￥ into ¥), or 円 after.
_YEN_SIGN = "¥"
_YEN_SUFFIX = "円"


def _strip_currency(value: str) -> str:
    """``value`` without one leading ¥ or one trailing 円 (not both), and the
    spaces beside them."""
    if value.startswith(_YEN_SIGN):
        value = value[len(_YEN_SIGN) :].lstrip()
        if value.endswith(_YEN_SUFFIX):
            raise ParseError("invalid")
    elif value.endswith(_YEN_SUFFIX):
        value = value[: -len(_YEN_SUFFIX)].rstrip()
    return value


def parse_yen(text: str) -> int | None:
    """An amount in yen (売上, 受注単価), as people write it: ``12,000,000``,
    ``50,000,000円``, ``¥12,000,000``, ``5000万``, ``1,200万円``, ``1.2億``,
    ``1億2,000万円``; ``None`` when left empty.

    Exact: every term is read as integers (digits before and after the
    point), never through a float, and the amount must be whole yen
    (``0.5円`` and ``1.23456万`` are a "fraction")."""
    value = _number_text(text)
    if value == "":
        return None
    if value.startswith(("-", "−")):
        raise ParseError("negative")
    value = _strip_currency(value)
    if value.startswith(("-", "−")):
        raise ParseError("negative")
    match = _YEN_AMOUNT.match(value) if value else None
    if match is None:
        raise ParseError("invalid")
    terms = [(match.group(name), places) for name, places in _YEN_UNITS]
    present = [(number, places) for number, places in terms if number is not None]
    if not present:
        raise ParseError("invalid")
    if match.group("oku") is not None and match.group("yen") is not None:
        if match.group("man") is None:
            raise ParseError("invalid")
    amount = 0
    fraction = False
    for index, (number, places) in enumerate(present):
        whole, _point, decimals = number.replace(",", "").partition(".")
        if decimals and index < len(present) - 1:
            raise ParseError("invalid")  # 1.5億2000万: a point only at the end
        if index > 0 and len(whole.lstrip("0")) > present[index - 1][1] - places:
            raise ParseError("invalid")  # 1億12000万: not below the unit before
        decimals = decimals.rstrip("0")
        whole = whole.lstrip("0") or "0"
        # More digits than the limit has is too large, and is never handed to
        # int() (which refuses over 4,300 digits with a plain ValueError).
        if len(whole) + places > len(str(MAX_YEN)):
            raise ParseError("too_large")
        if len(decimals) > places:
            fraction = True  # below one yen: refused, but a size says more
            decimals = decimals[:places]
        amount += int(whole) * 10**places
        if decimals:
            amount += int(decimals) * 10 ** (places - len(decimals))
    if amount > MAX_YEN:
        raise ParseError("too_large")
    if fraction:
        raise ParseError("fraction")
    return amount


def parse_rate(text: str) -> Decimal | None:
    """A percentage 0 < r <= 100 with at most 2 decimals (``1``, ``1 %``, ``２.５％``)."""
    value = _number_text(text)
    if value == "":
        return None
    if value.startswith("-") or value.startswith("−"):
        raise ParseError("negative")
    match = _RATE.match(value)
    if not match:
        raise ParseError("invalid")
    rate = Decimal(match.group(1))
    if rate.as_tuple().exponent < -2:
        raise ParseError("rate_places")
    if rate <= 0 or rate > HUNDRED:
        raise ParseError("rate_range")
    return rate


def count_needed(target: int, rate_percent: Decimal) -> int:
    """How many of the previous stage are needed for ``target`` at ``rate_percent``.

    ``ceil(target / (rate / 100))``, exactly, in Decimal: 20 CV at 1 % needs
    2,000 visits; 20 meetings at 30 % need 67 leads (not 66).
    """
    if isinstance(target, float) or isinstance(rate_percent, float):
        raise TypeError("floats are not accepted in the domain")
    if not isinstance(rate_percent, Decimal):
        raise TypeError("rate_percent must be a Decimal")
    if rate_percent <= 0:
        raise ValueError("rate must be positive")
    needed = (Decimal(target) * HUNDRED / rate_percent).to_integral_value(
        rounding=NEEDED_ROUNDING
    )
    return int(needed)


def rate_of(part: int, whole: int) -> Decimal | None:
    """``part / whole`` in percent to 2 places, half up; ``None`` when whole is 0."""
    if whole == 0:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(
        RATE_PLACES, rounding=DISPLAY_ROUNDING
    )
