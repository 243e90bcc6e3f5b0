"""The Danish sentences that carry figures, and the rounding rule for estimates."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.report import text
from analysis.formats import estimate, estimate_kr
from analysis.engines.penalty import Certainty, lowest_rate_first, uncertain
from analysis.engines.savings import Assumptions

NBSP = "\u00a0"


def plain(value: str) -> str:
    return value.replace(NBSP, " ")


def no_english_decimals(value: str) -> bool:
    return not re.search(r"\d\.\d{1,2}\s?(%|mio)", value)


@pytest.mark.parametrize(("value", "shown"), [
    (1_185_005, "ca. 1,2 mio. kr."), (26_612_345.7, "ca. 26,6 mio. kr."), (485_312, "ca. 490.000 kr."),
    (62_400, "ca. 62.000 kr."), (4_851, "ca. 4.900 kr."), (0, "ca. 0 kr."), (None, "–")])
def test_estimates_are_rounded_for_the_reader_and_say_so(value: float, shown: str) -> None:
    assert plain(estimate_kr(value)) == shown


def test_an_estimated_count_has_two_significant_digits() -> None:
    assert plain(estimate(12_345.6)) == "ca. 12.000" and plain(estimate(987.4)) == "ca. 990"


def test_uncertain_is_a_placement_the_replicates_contradict_more_than_a_fifth_of_the_time() -> None:
    probability = pd.Series([1.0, 0.85, 0.7, 0.1, 0.15, 0.3, 0.9])
    selected = pd.Series([True, True, True, True, False, False, False])
    # selected: sure at 100 % and 85 %, uncertain at 70 % and (very much so) at 10 %;
    # not selected: sure at 15 %, uncertain at 30 % and at 90 %.
    assert uncertain(probability, selected).tolist() == [False, False, True, True, False, True, True]


def certainty(sure: int, uncertain_selected: int, uncertain_other: int) -> Certainty:
    return Certainty(selected=sure + uncertain_selected, sure=sure, uncertain=uncertain_selected + uncertain_other,
                     uncertain_selected=uncertain_selected, replicates=1000)


def test_the_uncertainty_sentence_counts_one_set_of_units() -> None:
    sentence = plain(text.uncertainty(certainty(25, 5, 8)))
    assert sentence == ("Gentages beregningen på 1.000 tilfældige genudtræk af købene, er 25 af de 30 udvalgte enheder "
                        "udvalgt i mindst 80 % af gentagelserne. 13 enheder har usikker placering (5 af de udvalgte og "
                        "8 af de øvrige): de ligger så tæt på grænsen, at små forskelle i købene kunne have flyttet dem "
                        "til den anden side.")
    assert plain(text.uncertainty(certainty(30, 0, 0))).endswith("Ingen enheder har usikker placering.")
    assert "1 enhed har usikker placering (0 af de udvalgte og 1 af de øvrige)" in plain(
        text.uncertainty(certainty(30, 0, 1)))
    assert text.uncertainty_figure(certainty(25, 5, 8)) == ("Usikker placering", "13",
                                                            "enheder, heraf 5 af de 30 udvalgte")


def test_the_certainty_counts_come_from_the_probability_table() -> None:
    probability = pd.DataFrame({"selected": [True, True, True, False, False],
                                "probability": [0.95, 0.6, 0.82, 0.4, 0.05]})
    probability["uncertain"] = uncertain(probability["probability"], probability["selected"])
    assert Certainty.of(probability, 200) == Certainty(selected=3, sure=2, uncertain=2, uncertain_selected=1,
                                                       replicates=200)


GAIN = {"moved_amount": 26_612_345.7, "more_invoices": 19_113.2, "process_saving": 1_185_005.0,
        "price_saving": 532_246.9, "total_saving": 1_717_251.9}


def test_the_saving_sentence_rounds_estimates_and_keeps_danish_formats() -> None:
    sentence = plain(text.saving_at_target(0.53, "Københavns Kommune 2021", GAIN, Assumptions(62.0, 0.02), None))
    assert sentence == ("Hvis kommunen når 53,0 % (Københavns Kommune 2021), flyttes ca. 26,6 mio. kr. om året til "
                        "e-handel, ca. 19.000 fakturaer. Med 62 kr. pr. e-handlet faktura (Hjørring Kommune 2020, "
                        "citeret af SKI) er procesgevinsten ca. 1,2 mio. kr. om året, og prisgevinsten ved at købe "
                        "på aftalerne (2,0 % af det flyttede forbrug) ca. 530.000 kr.")
    assert no_english_decimals(sentence) and ".." not in sentence


def test_the_saving_sentence_without_invoice_counts_or_with_another_assumption() -> None:
    without = plain(text.saving_at_target(0.6, "60 %", GAIN, Assumptions(), "the export has no invoice numbers"))
    assert "Procesgevinsten pr. faktura kan ikke beregnes, fordi the export has no invoice numbers." in without
    assert "fakturaer" not in without.split("fordi")[0]
    other = plain(text.saving_at_target(0.6, "60 %", GAIN, Assumptions(50.0), None))
    assert "Med 50 kr. pr. faktura (antaget)" in other and "Hjørring" not in other


def test_benchmark_names_are_escaped_in_the_saving_sentence() -> None:
    sentence = text.saving_at_target(0.6, "*Nabo* <b>", GAIN, Assumptions(), None)
    assert "<b>" not in sentence and "\\*Nabo\\*" in sentence


def test_the_proposal_amount_is_exact_and_called_a_sanction() -> None:
    assert plain(text.proposal_amount(2_000_000)).startswith("Forslaget ØU08 reducerer budgettet med 2.000.000 kr. om året.")
    assert "ikke i sig selv en beregnet gevinst" in text.proposal_amount(1)


def test_every_lowest_rate_list_breaks_ties_by_missed_spend_then_ean() -> None:
    units = pd.DataFrame({"ean": ["3", "1", "2", "4"], "count_rate": [0.5, 0.5, 0.5, 0.1],
                          "eligible_amount": [100.0, 300.0, 200.0, 50.0], "missed_amount": [90.0, 10.0, 90.0, 5.0]})
    assert lowest_rate_first(units, "count_rate")["ean"].tolist() == ["4", "2", "3", "1"]


def test_the_rules_sentence_has_one_full_stop_after_kroner_and_ties_in_ranking_order() -> None:
    from analysis.engines.penalty import PenaltyParameters

    sentence = plain(text.rules(PenaltyParameters(min_spend=10_000, cap=0.05, exempt_types=("botilbud",)), ["B", "A"]))
    assert ".." not in sentence and "Minimum e-handelsegnet forbrug: 10.000 kr. Loft pr. enhed: 5,0 % af varebudgettet." \
        in sentence
    assert sentence.endswith("i rangeringens orden: B, A.") and "fritagne enhedstyper: botilbud" in sentence
    assert plain(text.rules(PenaltyParameters(), [])).endswith("Loft pr. enhed: intet. Ingen enheder deler procenten "
                                                               "ved afskæringen.")

    against = plain(text.rules(PenaltyParameters(n=30, threshold=0.15, credit=1.5), []))
    assert ("Kun enheder med en e-handelsprocent under 15,0 % kan rammes, højst 30. Fradrag for forbedring: enhederne"
            " rangeres på e-handelsprocenten plus 1,5 gange stigningen siden året før.") in against


def test_the_data_source_names_the_day_in_danish_and_the_folder() -> None:
    meta = {"raw_dir": "/srv/data/htk_2025", "ingested_at": "2026-12-02T10:11:12+00:00", "synthetic": "nej"}
    assert plain(text.ingested(meta)) == "indlæst 2. december 2026 fra mappen htk_2025"
    assert text.ingested({**meta, "synthetic": "ja"}).endswith("(syntetiske data)")


def test_units_left_out_of_the_ranking_and_large_cuts_are_said_in_danish() -> None:
    from analysis.engines.penalty import PenaltyParameters, simulate

    units = pd.DataFrame({
        "ean": list("ABCDE"), "name": ["Skole A", "Skole B", "Botilbud C", "Skole D", "Skole E"],
        "unit_type": ["skole", "skole", "botilbud", "skole", "skole"],
        "goods_budget": [10_000.0, 1e6, 1e6, 1e6, 1e6], "eligible_amount": [1000.0, 2000.0, 3000.0, 4000.0, 0.0],
        "ehandel_amount": [0.0, 200.0, 0.0, -1000.0, 0.0]})
    units = units.assign(missed_amount=units["eligible_amount"] - units["ehandel_amount"],
                         rate=units["ehandel_amount"] / units["eligible_amount"].where(units["eligible_amount"] > 0))
    units["count_rate"] = units["rate"]
    result = simulate(units, PenaltyParameters(n=1, amount=5_000, exempt_types=("botilbud",)))
    assert plain(text.not_ranked(result)) == (
        "3 enheder rangeres ikke (1 e-handelsprocent under 0 % eller over 100 % (kreditnotaer; tjek købene); "
        "1 fritaget; 1 ingen e-handelsegnede køb (forbrug på 0 kr. eller derunder)); de står i bilaget.")
    assert plain(text.large_cuts(result)) == (
        "1 enhed mister mere end 10 % af sit varebudget; størst er Skole A med 5.000 kr. (50,0 %). Overvej et loft "
        "over reduktionen pr. enhed eller en anden fordelingsnøgle.")
    assert text.large_cuts(simulate(units, PenaltyParameters(n=1, amount=500, exempt_types=("botilbud",)))) is None


def test_the_missing_count_rate_sentence_ends_once() -> None:
    assert text.count_rate_missing("eksporten har ingen fakturanumre.") == (
        "E-handelsprocenten i antal fakturaer kan ikke opgøres: eksporten har ingen fakturanumre.")


def test_01_and_04_show_one_reconciliation_per_file_or_per_kind() -> None:
    from analysis.report import blocks

    ingest = pd.DataFrame({"file": ["a.csv", "b.xml"], "kind_label": ["Fakturalinjer", "Fakturalinjer"],
                           "rows_read": [3, 2], "rows_loaded": [2, 2], "rows_quarantined": [1, 0],
                           "amount_read": [300.0, 200.0], "amount_quarantined": [100.0, 0.0], "rows_unpriced": [0, 0]})
    per_file, per_kind = blocks.reconciliation(ingest).data, blocks.reconciliation(ingest, by_file=False).data
    assert "a.csv" in per_file and "a.csv" not in per_kind
    assert per_kind.count("Fakturalinjer") == 1 and "500" in per_kind
    caption = "Afstemning af indlæsningen: læst = indlæst + karantæne"
    assert caption in per_file and caption in per_kind


def test_the_ratchet_sentence_counts_the_units_cut_again_and_those_that_improved() -> None:
    from analysis.engines.penalty import PenaltyParameters, Repeat

    table = pd.DataFrame({"ean": list("ABCD"), "name": list("ABCD"), "rate_before": [0.1, 0.2, 0.3, 0.1],
                          "rate_now": [0.15, 0.1, 0.2, 0.4], "cut_before": [5, 5, 0, 5], "cut_now": [6, 4, 5, 0],
                          "selected_before": [True, True, False, True], "selected_now": [True, True, True, False]})
    sentence = plain(text.repeat_selection(Repeat(table), "2024", "2025", PenaltyParameters(n=3)))
    assert sentence.startswith("Med samme regel på tallene for 2024 ville 3 enheder være udvalgt. 2 af dem udvælges "
                               "igen på tallene for 2025, selv om 1 af dem har hævet e-handelsprocenten. 1 enhed er "
                               "ny blandt de 3 udvalgte. En relativ rangering")
    assert "fast grænse" in sentence
    unchanged = table.assign(rate_now=[0.1, 0.2, 0.3, 0.1])
    assert "og ingen af dem har hævet e-handelsprocenten. 1 enhed er ny" in plain(
        text.repeat_selection(Repeat(unchanged), "2024", "2025", PenaltyParameters(n=3)))
    # Under a rule against the ratchet the sentence names the rule in force, not the alternatives.
    credited = plain(text.repeat_selection(Repeat(table), "2024", "2025", PenaltyParameters(n=3, credit=1.0)))
    assert "En relativ rangering" not in credited
    assert credited.endswith("Reglen tager højde for forbedring: enhederne rangeres med et fradrag for forbedring"
                             " (1,0 × stigningen).")
    both = plain(text.repeat_selection(Repeat(table), "2024", "2025", PenaltyParameters(n=3, threshold=0.2, credit=2)))
    assert both.endswith("kun enheder under grænsen på 20,0 % rammes og enhederne rangeres med et fradrag for"
                         " forbedring (2,0 × stigningen).")


def test_who_the_rule_cuts_is_said_for_each_rule() -> None:
    from analysis.engines.penalty import PenaltyParameters, simulate

    units = pd.DataFrame({
        "ean": list("ABCD"), "name": list("ABCD"), "unit_type": ["skole"] * 4, "goods_budget": [1e5] * 4,
        "eligible_amount": [1e4] * 4, "ehandel_amount": [0.0, 1e3, 3e3, 5e3], "missed_amount": [1e4, 9e3, 7e3, 5e3],
        "rate": [0.0, 0.1, 0.3, 0.5], "count_rate": [0.0, 0.1, 0.3, 0.5], "rate_before": [0.0, 0.0, 0.3, 0.5]})
    assert plain(text.selection(simulate(units, PenaltyParameters(n=2, amount=100)), "2025")) == (
        "de 2 enheder med lavest e-handelsprocent i 2025 (10,0 % eller derunder)")
    assert plain(text.selection(simulate(units, PenaltyParameters(n=3, amount=100, threshold=0.2)), "2025")) == (
        "de 2 enheder under grænsen på 20,0 % i 2025 (10,0 % eller derunder)")  # fewer than N are below it
    assert plain(text.selection(simulate(units, PenaltyParameters(n=2, amount=100, credit=1.0)), "2025")) == (
        "de 2 enheder med lavest e-handelsprocent i 2025, rangeret på e-handelsprocenten plus 1,0 gange stigningen"
        " siden året før (20,0 % eller derunder med fradraget)")


def test_the_status_paragraph_says_the_rate_the_count_rate_and_the_spread() -> None:
    said = plain(text.status(2025, 0.2873, "andel af kroner", 0.1912, 166, 0.2301, 0.1506))
    assert said == ("I 2025 blev **28,7 %** af kommunens e-handelsegnede indkøb (andel af kroner) foretaget gennem "
                    "e-handelssystemet. Opgjort i antal fakturaer var andelen 19,1 %, fordi de mange små indkøb oftere "
                    "sker uden om systemet. 166 enheder havde e-handelsegnede indkøb; halvdelen af dem havde en "
                    "e-handelsprocent under 23,0 %, og 15 % af enhederne lå under 10 %.")
    assert "Opgjort i antal fakturaer var andelen 31,0 %. 166" in plain(text.status(2025, 0.2873, "x", 0.31, 166, 0.2, 0.1))
    assert "fakturaer" not in text.status(2025, 0.2873, "x", None, 166, 0.2, 0.1)


def test_the_raw_data_paragraph_counts_the_quarantine_in_danish() -> None:
    meta = {"raw_dir": "/data/htk", "ingested_at": "2026-12-02T10:00:00", "synthetic": "nej"}
    said = plain(text.raw_data(meta, 15_095, 1_234_567.5))
    assert "indlæst 2. december 2026 fra mappen htk" in said
    assert "15.095 rækker (1.234.568 kr.) er i karantæne" in said


def test_the_agreement_and_saving_sentences_use_danish_formats() -> None:
    assert plain(text.agreements(0.6234, 2_345_678)).startswith(
        "62,3 % af det e-handelsegnede forbrug blev købt hos en leverandør med en forpligtende aftale på varen. I "
        "kategorier med en forpligtende aftale blev 2.345.678 kr. købt hos andre leverandører")
    assert plain(text.current_saving(485_312)) == "Den nuværende e-handel sparer allerede ca. 490.000 kr. om året."


def test_the_penalty_summary_names_the_largest_cut_and_escapes_the_name() -> None:
    from analysis.engines.penalty import PenaltyParameters, simulate

    units = pd.DataFrame({
        "ean": list("AB"), "name": ["Børnehuset *Kløveren*", "B"], "unit_type": ["dagtilbud"] * 2,
        "goods_budget": [1e5] * 2, "eligible_amount": [1e4] * 2, "ehandel_amount": [0.0, 5e3],
        "missed_amount": [1e4, 5e3], "rate": [0.0, 0.5], "count_rate": [0.0, 0.5]})
    result = simulate(units, PenaltyParameters(n=1, amount=17_318))
    said = plain(text.penalty_summary(result, "2025", 17_318, "Børnehuset *Kløveren*", 0.17318))
    assert said == ("Med de valgte parametre rammes de 1 enheder med lavest e-handelsprocent i 2025 (0,0 % eller derunder)."
                    " Den største reduktion er 17.318 kr. (Børnehuset \\*Kløveren\\*, 17,3 % af varebudgettet).")


def test_the_ratchet_rules_and_projection_state_their_figures() -> None:
    from analysis.engines.penalty import Response

    assert plain(text.ratchet_rules(0.287, 30, "2024")).startswith(
        "Fast grænse: kun enheder under kommunens samlede e-handelsprocent (28,7 %) rammes, højst 30. Fradrag for "
        "forbedring: en enheds stigning i e-handelsprocenten siden 2024")
    assert plain(text.projection(Response(target_rate=0.6, gap_closure=0.3, drift=0.015))).startswith(
        "Fremskrivningen antager, at en enhed, der rammes, hvert år lukker 30 % af afstanden til 60 %, og at de øvrige "
        "ændrer sig 1,5 procentpoint om året.")


def test_the_briefing_summary_trend_risks_and_method_in_danish() -> None:
    said = plain(text.briefing_summary("Høje-Taastrup Kommune", 2025, 0.287, 109_600_000, 1_500_000, "de 30 enheder",
                                       "varebudget", 0.53, 1_185_005))
    assert said == ("**Resumé.** Høje-Taastrup Kommune e-handlede i 2025 28,7 % af sine e-handelsegnede indkøb "
                    "(109,6 mio. kr. i alt). Forslaget reducerer budgettet med 1.500.000 kr. om året hos de 30 enheder, "
                    "fordelt efter varebudget. Når kommunen når 53,0 %, anslås gevinsten til ca. 1,2 mio. kr. om året.")
    yearly = pd.DataFrame({"period": ["2023", "2024", "2025"], "rate": [0.21, 0.25, 0.287]})
    assert plain(text.trend(yearly, 0.191)) == (
        "E-handelsprocenten er gået fra 21,0 % i 2023 til 28,7 % i 2025. Opgjort i antal fakturaer er andelen 19,1 %, "
        "fordi mange små køb sker med indkøbskort eller uden om systemet.")
    assert plain(text.trend(yearly.tail(1), None)) == "E-handelsprocenten var 28,7 % i 2025."
    risks = plain(text.risks(certainty(27, 3, 4), "botilbud", 0.0993, None))
    assert "- Udvælgelsen er usikker for 3 af de 30 udvalgte enheder." in risks
    assert "(nu fritaget: botilbud)" in risks and "- Den største reduktion er 9,9 % af en enheds varebudget." in risks
    assert risks.endswith("rangeringen gentages ved hver budgetopfølgning.")
    assert text.risks(certainty(27, 3, 4), "ingen", 0.1, "20 af de 30 udvælges igen.").endswith("- 20 af de 30 udvælges igen.")
    method = plain(text.briefing_method("2025", {"raw_dir": "/x/htk", "ingested_at": "2026-12-02", "synthetic": "ja"}))
    assert method.startswith("Måleperiode: 2025. Data: fakturalinjer") and "(syntetiske data)" in method


def test_the_business_case_sentences_in_danish() -> None:
    from analysis.engines.business_case import DigitalPost

    short = plain(text.proposal_shortfall(1_500_000, "Københavns Kommune 2021", 1_185_005.4))
    assert short.endswith("er 1.185.005 kr. om året, så 314.995 kr. af reduktionen skal findes på anden vis (fx lavere "
                          "priser eller færre indkøb).")
    assert plain(text.proposal_shortfall(1_500_000, "x", 1_600_000)).endswith(", hvilket dækker reduktionen.")
    model = DigitalPost(letters={"A": 120_000, "B": 30_500}, print_and_envelope=1.5, minutes_saved=1.0, hourly_cost=400)
    assert plain(text.digital_post(model)).startswith(
        "Modellen regner med 150.500 breve om året fordelt på 2 forvaltninger (syntetisk fordeling). Et brev, der sendes "
        "digitalt, sparer porto, 1,50 kr. til print og kuvert og 1,0 minutters sagsbehandlertid à 400 kr. i timen.")


def test_the_exports_own_totals_row_is_explained_under_the_reconciliation() -> None:
    totals = pd.DataFrame({"file": ["linjer.xlsx:fakturalinjer", "ordrer.csv"], "line": [12_915, 40],
                           "label": ["I alt:", "Total"], "amount": [136_169_539.97, 9_500.0], "others": [136_169_539.97, 9_000.0]})
    said = plain(text.export_totals(totals))
    assert said.startswith("linjer.xlsx:fakturalinjer slutter med eksportens egen totalrække (linje 12.915, »I alt«: "
                           "136.169.539,97 kr.), som de øvrige rækker summer til. ordrer.csv slutter med eksportens egen "
                           "totalrække (linje 40, »Total«: 9.500,00 kr.), men de øvrige rækker summer til 9.000,00 kr.: "
                           "eksporten kan være afskåret eller filtreret.")
    assert said.endswith("dens beløb tælles med i »Beløb læst« og »Beløb i karantæne«.")
    assert text.export_totals(totals.iloc[0:0]) is None
