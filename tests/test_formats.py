"""Danish formats: what the committee reads."""

from __future__ import annotations

from datetime import date

from analysis.formats import kr, long_date, mio_kr, number, pct, points

NBSP = "\u00a0"


def test_danish_numbers() -> None:
    assert kr(1_500_000) == f"1.500.000{NBSP}kr."
    assert kr(-1234.5, 2) == f"-1.234,50{NBSP}kr."
    assert pct(0.123) == f"12,3{NBSP}%"
    assert pct(0.5, 0) == f"50{NBSP}%"
    assert points(-0.052) == f"-5,2{NBSP}procentpoint"
    assert mio_kr(116_000_000) == f"116,0{NBSP}mio.{NBSP}kr."
    assert number(float("nan")) == "–" and kr(None) == "–"
    import pandas as pd

    assert number(pd.NA) == "–"  # a count the database does not have (a Int64 column's NULL)


def test_danish_dates() -> None:
    assert long_date(date(2026, 11, 23)) == "23. november 2026"
