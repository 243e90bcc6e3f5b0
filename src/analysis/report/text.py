"""The Danish sentences that carry a figure, one function each, for every report that states it.

A figure that two reports state (how sure the selection is, what reaching a target is worth)
comes from one sentence here, so the reports cannot drift apart; each function has a test that
reads its Danish number formats. Prose without figures stays in the notebooks' markdown cells.
Text from data (a benchmark's name) is escaped for markdown here. Estimates are rounded for the
reader (``formats.estimate_kr``); amounts the committee decides are exact (``formats.kr``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from babel.dates import format_date

import pandas as pd

from ..formats import LOCALE, estimate, estimate_kr, kr, long_date, mio_kr, number, pct, points
from ..engines.evaluation import Estimate
from ..engines.business_case import DigitalPost
from ..engines.penalty import DISAGREEMENT, LARGE_CUT, Certainty, PenaltyParameters, PenaltyResult, Repeat, Response
from ..engines.rates import FOLLOW_UP_WINDOWS, months_between
from .blocks import escape
from ..engines.savings import SAVING_PER_INVOICE, SAVING_SOURCE, Assumptions

if TYPE_CHECKING:
    from ..runs import Comparison


def units(count: int) -> str:
    """3 → '3 enheder', 1 → '1 enhed', 0 → 'ingen enheder'."""
    return "ingen enheder" if count == 0 else f"{count} enhed" if count == 1 else f"{count} enheder"


def uncertainty(certainty: Certainty) -> str:
    """How sure the selection is (notebooks 03 and 04)."""
    sure, unsure = pct(1 - DISAGREEMENT, 0), units(certainty.uncertain)
    text = (f"Gentages beregningen på {number(certainty.replicates)} tilfældige genudtræk af købene, er {certainty.sure} af de "
            f"{certainty.selected} udvalgte enheder udvalgt i mindst {sure} af gentagelserne. ")
    if not certainty.uncertain:
        return text + "Ingen enheder har usikker placering."
    return text + (f"{unsure.capitalize()} har usikker placering "
                   f"({certainty.uncertain_selected} af de udvalgte og {certainty.uncertain_not_selected} af de øvrige): "
                   "de ligger så tæt på grænsen, at små forskelle i købene kunne have flyttet dem til den anden side.")


def uncertainty_figure(certainty: Certainty) -> tuple[str, str, str]:
    """The key figure on the same count (label, value, explanation)."""
    return ("Usikker placering", str(certainty.uncertain),
            f"enheder, heraf {certainty.uncertain_selected} af de {certainty.selected} udvalgte")


def saving_at_target(target_rate: float, target_label: str, gain: dict[str, float], assumptions: Assumptions,
                     count_rate_note: str | None) -> str:
    """What reaching the target rate is worth a year (notebooks 02 and 04), from ``savings.savings``."""
    text = (f"Hvis kommunen når {pct(target_rate)} ({escape(target_label)}), flyttes "
            f"{estimate_kr(gain['moved_amount'])} om året til e-handel")
    if count_rate_note:
        text += f". Procesgevinsten pr. faktura kan ikke beregnes, fordi {count_rate_note}"
    else:
        per_invoice = (SAVING_SOURCE if assumptions.saving_per_invoice == SAVING_PER_INVOICE
                       else f"{kr(assumptions.saving_per_invoice)} pr. faktura (antaget)")
        text += (f", {estimate(gain['more_invoices'])} fakturaer. Med {per_invoice} er procesgevinsten "
                 f"{estimate_kr(gain['process_saving'])} om året")
    if assumptions.price_effect:
        text += (f", og prisgevinsten ved at købe på aftalerne ({pct(assumptions.price_effect)} af det flyttede forbrug) "
                 f"{estimate_kr(gain['price_saving'])}")
    return full_stop(text)


def full_stop(sentence: str) -> str:
    """End a sentence with one full stop, also after an amount that ends in "kr."."""
    return sentence if sentence.endswith(".") else sentence + "."


def proposal_amount(amount: int) -> str:
    """The proposal's amount beside an estimated saving: a sanction, not a saving."""
    return (f"Forslaget ØU08 reducerer budgettet med {kr(amount)} om året. Reduktionen er en sanktion, der skal give "
            "tilskyndelse; den er ikke i sig selv en beregnet gevinst.")


def price_adjustment(amount: int, form_amount: int, from_year: int, to_year: int) -> str:
    """The note under the budget table when the decided amount is converted to the table's prices;
    empty when it is not."""
    if from_year == to_year:
        return ""
    return (f"Beløbet på {kr(amount)} i {from_year}-priser er omregnet til {kr(form_amount)} i {to_year}-priser"
            " med pris- og lønskønnet.")


def rules(parameters: PenaltyParameters, tied_at_cutoff: list[str]) -> str:
    """The selection rules under the penalty's table (notebook 03), tied units in ranking order."""
    shown = parameters.describe()
    text = (f"Regler: ved lige e-handelsprocent {shown['Regel ved lige e-handelsprocent']}. Fritagne enheder: "
            f"{shown['Fritagne enheder (EAN)']}; fritagne enhedstyper: {shown['Fritagne enhedstyper']}. "
            f"{full_stop('Minimum e-handelsegnet forbrug: ' + shown['Minimum e-handelsegnet forbrug'])} "
            f"{full_stop('Loft pr. enhed: ' + shown['Loft pr. enhed'])} ")
    if parameters.threshold is not None:
        text += (f"Kun enheder med en e-handelsprocent under {shown['Grænse for e-handelsprocent']} kan rammes, højst "
                 f"{parameters.n}. ")
    if parameters.credit:
        text += (f"Fradrag for forbedring: enhederne rangeres på e-handelsprocenten plus "
                 f"{shown['Fradrag for forbedring']}. ")
    if tied_at_cutoff:
        return text + f"Enheder med samme procent ved afskæringen, i rangeringens orden: {', '.join(tied_at_cutoff)}."
    return text + "Ingen enheder deler procenten ved afskæringen."


def selection(result: PenaltyResult, period: str) -> str:
    """Who the rule cuts, as 03 and 04 say it (N the lowest, or under a threshold, or credited)."""
    parameters, count = result.parameters, len(result.selected)
    cutoff = pct(result.cutoff_rate)
    if parameters.threshold is not None:
        who = (f"de {count} enheder under grænsen på {pct(parameters.threshold)}" if count < parameters.n else
               f"de {count} enheder med lavest e-handelsprocent under grænsen på {pct(parameters.threshold)}")
    else:
        who = f"de {count} enheder med lavest e-handelsprocent"
    if parameters.credit:
        return (f"{who} i {period}, rangeret på e-handelsprocenten plus {number(parameters.credit, 1)} gange "
                f"stigningen siden året før ({cutoff} eller derunder med fradraget)")
    return f"{who} i {period} ({cutoff} eller derunder)"


def _interval(estimate: Estimate) -> str:
    return f"95 %-interval {number(estimate.low * 100, 1)} til {points(estimate.high)}"


def evaluation(rd: Estimate, did: Estimate, selection_year: str, year: str) -> str:
    """What the evaluation (07) can and cannot conclude, in plain Danish: the jump at the cut-off
    first (the estimate to trust), then the comparison with every unit not cut (it overstates)."""
    text = (f"Enhederne blev udvalgt på tallene for {selection_year} og følges til {year}. Tæt på afskæringen (inden "
            f"for {points(rd.bandwidth)}) steg de ramte enheders e-handelsprocent {points(rd.effect)} mere end de "
            f"øvriges ({_interval(rd)}; {rd.treated} ramte og {rd.control} øvrige enheder). ")
    if rd.excludes_zero:
        text += ("Forskellen er større, end tilfældigheder kan forklare: sanktionen ser ud til at have hævet "
                 "e-handelsprocenten. " if rd.effect > 0 else
                 "Forskellen er større, end tilfældigheder kan forklare: de ramte enheder e-handlede mindre. ")
    else:
        text += "Intervallet rummer nul, så tallene kan hverken vise, at sanktionen har virket, eller at den ikke har. "
    text += (f"Sammenlignet med alle {did.control} enheder, der ikke blev ramt, steg de {did.treated} ramte "
             f"{points(did.effect)} mere ({_interval(did)}). Det tal overvurderer virkningen, fordi de laveste enheder "
             "ofte får et bedre år også uden sanktion.")
    return text


def ingested(meta: dict[str, str]) -> str:
    """When and from which raw folder the data were read (``db.meta``), as plain text:
    'indlæst 4. december 2026 fra mappen htk_2025' (escape it for markdown)."""
    folder = Path(meta.get("raw_dir", "")).name or "ukendt"
    day = meta.get("ingested_at", "")[:10]
    when = f"indlæst {long_date(date.fromisoformat(day))}" if day else "indlæst"
    return f"{when} fra mappen {folder}" + (" (syntetiske data)" if meta.get("synthetic") == "ja" else "")


def budget_basis(parameters: PenaltyParameters, budget_note: str) -> str:
    """Where the goods budget comes from (notebooks 03 and 04): the budget file's note, or derived."""
    if parameters.budget_basis == "file":
        return budget_note
    return "Varebudgettet er afledt af hver enheds e-handelsegnede forbrug i måleperioden."


def not_ranked(result: PenaltyResult, listed_in: str = "bilaget") -> str:
    """Which units the ranking leaves out and why (notebooks 03 and 04), and where they are listed."""
    left_out = result.not_ranked
    if left_out.empty:
        return "Alle enheder rangeres."
    reasons = "; ".join(f"{count} {reason.lower()}" for reason, count in left_out["status"].value_counts(sort=False)
                        .sort_index().items())
    return f"{units(len(left_out)).capitalize()} rangeres ikke ({reasons}); de står i {listed_in}."


def large_cuts(result: PenaltyResult) -> str | None:
    """A warning when a cut takes more than ``LARGE_CUT`` of a unit's goods budget, else None."""
    large = result.large_cuts
    if large.empty:
        return None
    first = large.iloc[0]
    return (f"{units(len(large)).capitalize()} mister mere end {pct(LARGE_CUT, 0)} af {'sit' if len(large) == 1 else 'deres'}"
            f" varebudget; størst er {escape(first['name'])} med {kr(first['cut'])} ({pct(first['cut_share_of_budget'])}). "
            "Overvej et loft over reduktionen pr. enhed eller en anden fordelingsnøgle.")


def count_rate_missing(note: str) -> str:
    """Why there is no rate in invoices (``rates.count_rate_note``), for 01 and 04."""
    return full_stop(f"E-handelsprocenten i antal fakturaer kan ikke opgøres: {note}")


def repeat_selection(repeat: Repeat, before: str, now: str, parameters: PenaltyParameters) -> str:
    """How many of the units the rule would have cut on the period before are cut again (03, 04), and,
    where improvers are cut again, the rule in force against that or the alternatives."""
    n = parameters.n
    again, improved = len(repeat.again), len(repeat.improved_again)
    text = f"Med samme regel på tallene for {before} ville {units(len(repeat.left) + again)} være udvalgt. "
    if not again:
        text += f"Ingen af dem udvælges igen på tallene for {now}."
    elif improved:
        text += f"{again} af dem udvælges igen på tallene for {now}, selv om {improved} af dem har hævet e-handelsprocenten."
    else:
        text += f"{again} af dem udvælges igen på tallene for {now}, og ingen af dem har hævet e-handelsprocenten."
    new = len(repeat.new)
    text += f" {units(new).capitalize()} er {'ny' if new == 1 else 'nye'} blandt de {n} udvalgte."
    if improved and parameters.threshold is None and not parameters.credit:
        text += (" En relativ rangering rammer de laveste, uanset hvor meget de har forbedret sig; en fast grænse for"
                 " e-handelsprocenten, et fradrag for forbedring eller et loft over reduktionen er alternativer.")
    elif improved:
        rules = []
        if parameters.threshold is not None:
            rules.append(f"kun enheder under grænsen på {pct(parameters.threshold)} rammes")
        if parameters.credit:
            rules.append(f"enhederne rangeres med et fradrag for forbedring ({number(parameters.credit, 1)} × stigningen)")
        text += f" Reglen tager højde for forbedring: {' og '.join(rules)}."
    return text


def run_comparison(comparison: Comparison) -> str:
    """Two recorded runs side by side (``analysis compare``): who is cut again, and how many of
    them although they improved; who is new, who left."""
    before, now = comparison.before, comparison.after
    again, improved = comparison.count("again"), comparison.again_improved
    cut_before = again + comparison.count("left")
    text = (f"I kørslen {before.name} (måleperiode {before.entry['period']}) blev {units(cut_before)} ramt. "
            f"I kørslen {now.name} (måleperiode {now.entry['period']}) rammes {again} af dem igen")
    text += f", selv om {improved} af dem har hævet e-handelsprocenten. " if improved else ". "
    new, left = comparison.count("new"), comparison.count("left")
    text += (f"{units(new).capitalize()} er {'ny' if new == 1 else 'nye'}, og {units(left)} er ikke længere udvalgt. "
             f"Samlet reduktion {kr(int(comparison.table['cut_before'].sum()))} før og "
             f"{kr(int(comparison.table['cut_now'].sum()))} nu.")
    return text


def follow_up(day: date, window: str, first: date, last: date) -> str:
    """Which months a budget follow-up ranks on (03, 04), printed so nobody takes them for a year."""
    months = f"{format_date(first, 'MMMM y', locale=LOCALE)} - {format_date(last, 'MMMM y', locale=LOCALE)}"
    return (f"Budgetopfølgning pr. {long_date(day)}: måleperioden er {FOLLOW_UP_WINDOWS[window]}, {months} "
            f"({months_between(first, last)} måneder).")


def status(year: int, rate: float, basis_text: str, count_rate: float | None, units_count: int, median_rate: float,
           share_below_10: float) -> str:
    """The status report's opening paragraph (notebook 01); ``count_rate`` None where invoices
    cannot be counted."""
    text = (f"I {year} blev **{pct(rate)}** af kommunens e-handelsegnede indkøb ({escape(basis_text)}) foretaget "
            "gennem e-handelssystemet. ")
    if count_rate is not None:
        text += (f"Opgjort i antal fakturaer var andelen {pct(count_rate)}"
                 + (", fordi de mange små indkøb oftere sker uden om systemet. " if count_rate < rate else ". "))
    return text + (f"{units_count} enheder havde e-handelsegnede indkøb; halvdelen af dem havde en e-handelsprocent "
                   f"under {pct(median_rate)}, og {pct(share_below_10, 0)} af enhederne lå under 10 %.")


def raw_data(meta: dict[str, str], quarantined_rows: int, quarantined_amount: float) -> str:
    """Where the status report's figures come from, and what the ingest set aside (notebook 01)."""
    return (f"Tallene er beregnet direkte fra kommunens rådata (fakturalinjer, e-handelsordrer, indkøbskort og "
            f"enhedsliste), {escape(ingested(meta))}. Hver indlæst række er enten brugt eller sat i karantæne med en "
            f"begrundelse; {number(quarantined_rows)} rækker ({kr(quarantined_amount)}) er i karantæne. "
            "Ikke-e-handelsegnede køb (tjenesteydelser, byggeri, skatter og afgifter, mellemkommunale betalinger) "
            "indgår hverken i tæller eller nævner.")


def agreements(agreement_share: float, off_agreement_amount: float) -> str:
    """How much of the eligible spend was bought on a binding agreement (notebook 02)."""
    return (f"{pct(agreement_share)} af det e-handelsegnede forbrug blev købt hos en leverandør med en forpligtende "
            f"aftale på varen. I kategorier med en forpligtende aftale blev {kr(off_agreement_amount)} købt hos andre "
            "leverandører, hvilket kan udløse krav fra aftaleleverandøren og koste den aftalte pris.")


def current_saving(amount: float) -> str:
    """What today's e-handel already saves in process costs (notebook 02)."""
    return f"Den nuværende e-handel sparer allerede {estimate_kr(amount)} om året."


def penalty_summary(result: PenaltyResult, period: str, largest_cut: int, largest_name: str,
                    largest_share: float | None) -> str:
    """Who is cut and the largest cut (notebook 03's opening sentence)."""
    return (f"Med de valgte parametre rammes {selection(result, period)}. Den største reduktion er {kr(largest_cut)} "
            f"({escape(largest_name)}, {pct(largest_share)} af varebudgettet).")


def ratchet_rules(municipality_rate: float, n: int, before_label: str) -> str:
    """What the two alternatives to the relative ranking mean (notebook 03, under their table)."""
    return (f"Fast grænse: kun enheder under kommunens samlede e-handelsprocent ({pct(municipality_rate)}) rammes, "
            f"højst {n}. Fradrag for forbedring: en enheds stigning i e-handelsprocenten siden {before_label} lægges "
            "til dens procent, når der rangeres. Beregnet til sammenligning; forslagets tal er ovenfor.")


def projection(response: Response) -> str:
    """The projection's assumption about how units respond (notebook 03)."""
    return (f"Fremskrivningen antager, at en enhed, der rammes, hvert år lukker {pct(response.gap_closure, 0)} af "
            f"afstanden til {pct(response.target_rate, 0)}, og at de øvrige ændrer sig {points(response.drift)} om "
            "året. Rangeringen gentages hvert år, så andre enheder kan rammes, når de laveste forbedrer sig.")


def briefing_summary(municipality: str, year: int, rate: float, eligible_amount: float, amount: int, who: str,
                     key_label: str, target_rate: float, total_saving: float) -> str:
    """The briefing's Resumé (notebook 04); ``who`` is ``selection``'s text."""
    return (f"**Resumé.** {escape(municipality)} e-handlede i {year} {pct(rate)} af sine e-handelsegnede indkøb "
            f"({mio_kr(eligible_amount)} i alt). Forslaget reducerer budgettet med {kr(amount)} om året hos {who}, "
            f"fordelt efter {key_label}. Når kommunen når {pct(target_rate)}, anslås gevinsten til "
            f"{estimate_kr(total_saving)} om året.")


def trend(yearly: pd.DataFrame, count_rate: float | None) -> str:
    """How the rate developed over the years the database holds (notebook 04); ``count_rate`` the
    latest year's share of invoices, None where invoices cannot be counted."""
    first, last = yearly.iloc[0], yearly.iloc[-1]
    text = (f"E-handelsprocenten er gået fra {pct(first['rate'])} i {first['period']} til {pct(last['rate'])} i "
            f"{last['period']}. " if len(yearly) > 1 else f"E-handelsprocenten var {pct(last['rate'])} i {last['period']}. ")
    if count_rate is None:
        return text.rstrip()
    return text + (f"Opgjort i antal fakturaer er andelen {pct(count_rate)}, fordi mange små køb sker med indkøbskort "
                   "eller uden om systemet.")


def risks(certainty: Certainty, exempt_types: str, largest_share: float | None, ratchet: str | None) -> str:
    """The briefing's list of risks (notebook 04); ``ratchet`` is ``repeat_selection``'s text where
    the year before could be ranked."""
    return ("**Risici:**\n\n"
            f"- Udvælgelsen er usikker for {certainty.uncertain_selected} af de {certainty.selected} udvalgte enheder.\n"
            "- Nogle fysiske indkøb er en del af det pædagogiske arbejde (fx botilbud). Sådanne enhedstyper kan fritages "
            f"fra rangeringen (nu fritaget: {escape(exempt_types)}).\n"
            f"- Den største reduktion er {pct(largest_share)} af en enheds varebudget.\n"
            + (f"- {ratchet}" if ratchet else
               "- Enheder, der forbedrer sig, kan erstattes af andre næste år; rangeringen gentages ved hver "
               "budgetopfølgning."))


def briefing_method(period: str, meta: dict[str, str]) -> str:
    """The briefing's method and data paragraph (notebook 04)."""
    return (f"Måleperiode: {period}. Data: fakturalinjer, ordrer fra e-handelssystemet, indkøbskort og enhedsliste, "
            f"{escape(ingested(meta))}. E-handelsprocent = e-handlet e-handelsegnet forbrug / alt e-handelsegnet "
            "forbrug. Tjenesteydelser, byggeri, skatter og mellemkommunale betalinger indgår ikke.")


def proposal_shortfall(reduction: float, target_label: str, saving: float) -> str:
    """The proposal as a business case: the yearly cut against the estimated saving (notebook 05)."""
    shortfall = saving - reduction
    return (f"Forslaget kræver ingen investering. Budgettet reduceres med {kr(reduction)} om året. Den anslåede "
            f"besparelse, hvis kommunen når {escape(target_label)}, er {kr(saving)} om året"
            + (f", så {kr(-shortfall)} af reduktionen skal findes på anden vis (fx lavere priser eller færre indkøb)."
               if shortfall < 0 else ", hvilket dækker reduktionen."))


def digital_post(model: DigitalPost) -> str:
    """What the e-Boks case's letter model counts (notebook 05)."""
    return (f"Modellen regner med {number(sum(model.letters.values()))} breve om året fordelt på {len(model.letters)} "
            f"forvaltninger (syntetisk fordeling). Et brev, der sendes digitalt, sparer porto, "
            f"{kr(model.print_and_envelope, 2)} til print og kuvert og {number(model.minutes_saved, 1)} minutters "
            f"sagsbehandlertid à {kr(model.hourly_cost)} i timen. Modellen er et selvstændigt skøn til "
            "fordelingsnøglen; Tabel 1 bygger på kommunens egne tal, og de to gevinster skal ikke lægges sammen.")


def export_totals(totals: pd.DataFrame) -> str | None:
    """Under the reconciliation (notebooks 01 and 04): files that end with the export's own totals
    row, why its kroner appear as read and quarantined, and whether the other rows add up to it
    (``db.ingest_totals``); None when no file has one. Plain text, for ``blocks.source_note``."""
    if totals.empty:
        return None
    sentences = []
    for row in totals.itertuples():
        opening = (f"{row.file} slutter med eksportens egen totalrække (linje {number(row.line)},"
                   f" »{str(row.label).rstrip(':. ')}«")
        if pd.isna(row.amount):
            sentences.append(f"{opening}) uden et læsbart beløb.")
        elif row.amount == row.others:
            sentences.append(f"{opening}: {kr(row.amount, 2)}), som de øvrige rækker summer til.")
        else:
            sentences.append(f"{opening}: {kr(row.amount, 2)}), men de øvrige rækker summer til {kr(row.others, 2)}:"
                             " eksporten kan være afskåret eller filtreret.")
    return (" ".join(sentences) + " En totalrække er ikke et køb: den står i karantæne, og dens beløb tælles med i"
            " »Beløb læst« og »Beløb i karantæne«.")
