"""Danish number and date formats for everything a Danish reader sees (1.500.000 kr., 12,3 %).

Babel holds the locale rules; this module only fixes the project's choices: whole kroner,
one decimal on percentages, and a non-breaking space before the unit so it never wraps alone.

The rounding rule, written once: **allocations and amounts the committee decides are exact**
(``kr``: 1.500.000 kr., 62.316 kr.); **estimates are rounded for the reader and say so**
(``estimate_kr``: "ca. 1,2 mio. kr.", "ca. 480.000 kr."; ``estimate``: "ca. 12.000"), because a
saving worked out from an assumed 62 kr. per invoice is not known to the krone. Budget tables
print whole 1.000 kr., rounded half away from zero (``thousands``), as a printed budget does.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import pandas as pd
from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern

LOCALE = "da_DK"
_DANISH = Locale.parse(LOCALE)
NBSP = "\u00a0"


def _missing(value: float | None) -> bool:
    """None, NaN or pandas' NA (a count the database does not have, say)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, decimals: int = 0) -> str:
    """1234567.8 → '1.234.568' (or with decimals: '1.234.567,8'); missing → '–'."""
    if _missing(value):
        return "–"
    return _pattern(decimals).apply(value, _DANISH)


@lru_cache(maxsize=None)
def _pattern(decimals: int) -> NumberPattern:
    """Babel's parsed pattern, once per number of decimals (parsing it on every number made the
    explorer's table take 20 ms a move)."""
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))


def kr(value: float | None, decimals: int = 0) -> str:
    """1500000 → '1.500.000 kr.'"""
    return "–" if _missing(value) else f"{number(value, decimals)}{NBSP}kr."


def mio_kr(value: float | None, decimals: int = 1) -> str:
    """116000000 → '116,0 mio. kr.'"""
    return "–" if _missing(value) else f"{number(value / 1e6, decimals)}{NBSP}mio.{NBSP}kr."


def _two_digits(value: float) -> float:
    """``value`` to two significant digits: 485.312 → 490.000, 4.851 → 4.900."""
    if value == 0:
        return 0.0
    return round(value, 1 - int(math.floor(math.log10(abs(value)))))


def thousands(kroner: float | int | None) -> int | None:
    """Kroner to whole 1.000 kr., half away from zero: -1.500.000 → -1500, 2.263.500 → 2264."""
    if kroner is None or kroner != kroner:
        return None
    return int((Decimal(str(kroner)) / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def estimate(value: float | None) -> str:
    """A count that is an estimate: 12.345,6 → 'ca. 12.000'."""
    return "–" if _missing(value) else f"ca.{NBSP}{number(_two_digits(value))}"


def estimate_kr(value: float | None) -> str:
    """Kroner that are an estimate: 1.185.005 → 'ca. 1,2 mio. kr.', 485.312 → 'ca. 490.000 kr.'."""
    if _missing(value):
        return "–"
    if abs(value) >= 1e6:
        return f"ca.{NBSP}{mio_kr(value)}"
    return f"ca.{NBSP}{kr(_two_digits(value))}"


def pct(share: float | None, decimals: int = 1) -> str:
    """0.123 → '12,3 %' (a share between 0 and 1 in, a percentage out)."""
    return "–" if _missing(share) else f"{number(share * 100, decimals)}{NBSP}%"


def points(difference: float | None, decimals: int = 1) -> str:
    """A difference of shares in percentage points: -0.052 → '-5,2 procentpoint'."""
    return "–" if _missing(difference) else f"{number(difference * 100, decimals)}{NBSP}procentpoint"


def long_date(day: date) -> str:
    """date(2026, 11, 23) → '23. november 2026'."""
    return format_date(day, format="d. MMMM y", locale=LOCALE)
