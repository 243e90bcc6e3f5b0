"""The business-case engine: Tabel 1 of the e-Boks case, payback and NPV, the distribution key."""

from __future__ import annotations

import pytest

from analysis.engines.business_case import (
    TABLE_1_PRINTED,
    TABLE_1_ROWS,
    BusinessCase,
    DigitalPost,
    digital_post_gain,
    distribute,
    distribution_key,
    eboks_case,
    ehandel_case,
    evaluate,
    in_thousands,
    net_present_value,
    payback_year,
    postage,
)
from analysis.errors import ParameterError


@pytest.mark.parametrize("row", TABLE_1_ROWS)
def test_table_1_is_reproduced_row_by_row(row: str) -> None:
    computed = in_thousands(evaluate(eboks_case()), TABLE_1_ROWS).loc[row].tolist()
    assert [abs(c - p) for c, p in zip(computed, TABLE_1_PRINTED[row])] == pytest.approx([0] * 10, abs=1), row


def test_2009_follows_the_text() -> None:
    first = evaluate(eboks_case())[2009]
    # 2,55 mio. kr. capital + 0,38 mio. kr. to ØU from the pool, 2,61 mio. kr. from the departments: 5,54 mio. kr.
    assert first["Fra investeringspuljen"] == -2_930_000 and first["Fra fagforvaltningerne"] == -2_610_000
    assert round(-first["Investering i alt"] / 1e6, 2) == 5.54


def test_payback_and_npv_by_hand() -> None:
    case = BusinessCase(years=(2026, 2027, 2028), investment=(100.0, 0.0, 0.0), from_pool=(100.0, 0.0, 0.0),
                        gross_savings=(0.0, 60.0, 60.0))
    # Net -100, 60, 60; cumulative -100, -40, 20: paid back in 2028. NPV at 10 %: -100 + 60/1,1 + 60/1,21.
    assert payback_year(case) == 2028
    assert net_present_value(case, 0.10) == pytest.approx(-100 + 60 / 1.1 + 60 / 1.21)
    assert payback_year(BusinessCase(years=(2026,), investment=(5.0,), from_pool=(0.0,), gross_savings=(1.0,))) is None
    assert payback_year(eboks_case()) == 2012  # -2.929, -5.258, -1.911, then +2.357 t.kr. cumulative


def test_net_return_is_what_remains_after_the_departments_part() -> None:
    case = BusinessCase(years=(2026,), investment=(100.0,), from_pool=(30.0,), gross_savings=(170.0,),
                        department_share=0.25)
    column = evaluate(case)[2026]
    assert column["Fra fagforvaltningerne"] == -70 and column["Gevinst i alt"] == 100
    assert column["Nettoafkast til forvaltningerne"] == 25 and column["Nettoafkast til prioriteringsrum"] == 75


def test_distribution_key_and_shares_sum_to_the_krone() -> None:
    model = DigitalPost()
    key = distribution_key(model.letters)
    assert key.sum() == pytest.approx(1.0)
    table = evaluate(eboks_case())
    for row in ("Investering i alt", "Nettoafkast til forvaltningerne"):
        shares = distribute(key, table.loc[row])
        assert (shares.sum() == table.loc[row].round().astype(int)).all()
    assert sum(model.letters.values()) == pytest.approx(3_000_000, rel=0.01) and len(model.letters) == 7


def test_digital_post_gain_uses_sourced_postage() -> None:
    assert postage(2009) == 4.50 and postage(2014) == 9.00 and postage(2016) == 19.00 and postage(2017) == 19.00
    model = DigitalPost(letters={"A": 1000}, enrolment={2015: 0.5}, print_and_envelope=1.0, minutes_saved=3.0,
                        hourly_cost=300.0)
    # 500 digital letters x (10 kr. postage + 1 kr. print + 3/60 h x 300 kr.) = 500 x 26 kr.
    assert digital_post_gain(model, (2015,)).loc["A", 2015] == pytest.approx(13_000)
    with pytest.raises(ParameterError, match="no share given for 2016"):
        digital_post_gain(model, (2016,))


def test_ehandel_proposal_as_a_business_case() -> None:
    case = ehandel_case(1_500_000, (2026, 2027, 2028, 2029), yearly_saving=978_498)
    table = in_thousands(evaluate(case))
    assert table.loc["Effektivisering (budgetreduktion)"].tolist() == [-1500] * 4
    assert table.loc["Investering i alt"].tolist() == [0] * 4 and table.loc["Bruttobesparelse"].tolist() == [978] * 4


def test_inputs_are_checked() -> None:
    with pytest.raises(ParameterError, match="from_pool: the pool cannot pay more"):
        BusinessCase(years=(2026,), investment=(1.0,), from_pool=(2.0,), gross_savings=(0.0,))
    with pytest.raises(ParameterError, match="investment: 1 values for 2 years"):
        BusinessCase(years=(2026, 2027), investment=(1.0,), from_pool=(0.0, 0.0), gross_savings=(0.0, 0.0))
    with pytest.raises(ParameterError, match="department_share"):
        BusinessCase(years=(2026,), investment=(0.0,), from_pool=(0.0,), gross_savings=(0.0,), department_share=2)
