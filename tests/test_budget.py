"""Budget tables in the municipal format."""

from __future__ import annotations

import pytest

from analysis.report.budget_table import PROPOSAL_GROUPS, format_tkr, proposal_table, table_html, thousands
from analysis.errors import ParameterError


def test_thousands_round_half_away_from_zero_like_a_printed_budget() -> None:
    assert thousands(-1_500_000) == -1500
    assert thousands(2_263_500) == 2264 and thousands(-2_692_500) == -2693 and thousands(499) == 0
    assert format_tkr(-1500) == "-1.500" and format_tkr(0) == "-" and format_tkr(None) == "-"
    assert format_tkr(12345) == "12.345"


def test_proposal_table_is_derived_from_the_parameters() -> None:
    table = proposal_table(1_500_000, (2026, 2027, 2028, 2029))
    assert table.loc["Effektivisering"].tolist() == [-1500] * 4
    assert table.loc["Samlet ændring (Netto)"].tolist() == [-1500] * 4
    other = proposal_table(2_345_600, (2027, 2028))
    assert list(other.columns) == [2027, 2028] and other.loc["Effektivisering"].tolist() == [-2346, -2346]
    html = table_html(table, 2026, PROPOSAL_GROUPS).data
    assert "Beløb i 1.000 kr.<br>2026-priser" in html and "Budgetændring – drift" in html
    assert "(-) = mindreudgift/merindtægt, (+) = merudgift/mindreindtægt" in html
    with pytest.raises(ParameterError):
        proposal_table(0, (2026,))
