"""Danish number and date formats for everything a Danish reader sees (1.500.000 kr., 12,3 %).

Babel holds the locale rules; this module only fixes the project's choices: whole kroner,
one decimal on percentages, and a non-breaking space before the unit so it never wraps alone.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "da_DK"
NBSP = "\u00a0"


def _missing(value: float | None) -> bool:
    """None, NaN or pandas' NA (a count the database does not have, say)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, decimals: int = 0) -> str:
    """1234567.8 → '1.234.568' (or with decimals: '1.234.567,8'); missing → '–'."""
    if _missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def kr(value: float | None, decimals: int = 0) -> str:
    """1500000 → '1.500.000 kr.'"""
    return "–" if _missing(value) else f"{number(value, decimals)}{NBSP}kr."


def mio_kr(value: float | None, decimals: int = 1) -> str:
    """116000000 → '116,0 mio. kr.'"""
    return "–" if _missing(value) else f"{number(value / 1e6, decimals)}{NBSP}mio.{NBSP}kr."


def pct(share: float | None, decimals: int = 1) -> str:
    """0.123 → '12,3 %' (a share between 0 and 1 in, a percentage out)."""
    return "–" if _missing(share) else f"{number(share * 100, decimals)}{NBSP}%"


def points(difference: float | None, decimals: int = 1) -> str:
    """A difference of shares in percentage points: -0.052 → '-5,2 procentpoint'."""
    return "–" if _missing(difference) else f"{number(difference * 100, decimals)}{NBSP}procentpoint"


def long_date(day: date) -> str:
    """date(2026, 11, 23) → '23. november 2026'."""
    return format_date(day, format="d. MMMM y", locale=LOCALE)
