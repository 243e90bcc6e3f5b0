"""A synthetic municipality, written as the raw exports a real one would deliver.

The default data of the project: deterministic from a seed, shaped like Høje-Taastrup Kommune
(about 116m kr. of goods a year, ~170 buying units in a four-level organisation, EAN/GLN numbers,
suppliers with CVR numbers, UNSPSC-coded invoice lines, e-handel orders, many small card purchases,
credit notes, seasonality and widely spread e-handel rates). The files use the Danish export
conventions (`;`, decimal comma, thousands dot, dd-mm-yyyy, UTF-8 with BOM or cp1252), so the
default path goes through the same ingest as real data.

``scale`` multiplies the number of units (and so the spend and the lines); the data is generated
and written one year and one batch of units at a time, so national-size data fits in memory.

``real_like`` writes the same purchases as real exports have them (issue #16): UNSPSC only on the
catalogue (e-handel) lines, the posting (``Kontering``: cost centre and art) on every invoice line and
an ``Art`` on every card transaction, some invoices outside e-handel quoting an order number that
belongs to another buyer's or supplier's order, and the goods budgets by cost centre and art (an
ERP budget file and a crosswalk to the EANs, one cost centre shared by two units) instead of a
``Varebudget`` column; every unit's goods budget comes out to the krone the same. The fully classified default is the truth the
real-like figures are tested against.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

GOODS_PER_YEAR = 116_000_000  # kr., HTK's "varekøb og fødevarer" (ØU08)
MUNICIPALITY = "Eksempel Kommune"
UNIT_BATCH = 2_000
SEASON = np.array([1.0, 1.05, 1.1, 1.0, 1.0, 0.95, 0.55, 0.9, 1.15, 1.05, 1.1, 1.2])

# (level 1, level 2, unit type, institutions, units per institution, median goods budget kr.,
#  e-handel propensity Beta(a, b))
ORGANISATION = [
    ("Børn og Unge", "Skoler", "skole", 11, ("", "SFO"), 650_000, (1.8, 4.0)),
    ("Børn og Unge", "Dagtilbud", "dagtilbud", 45, ("",), 190_000, (1.1, 3.8)),
    ("Børn og Unge", "Dagplejen", "dagpleje", 5, ("",), 90_000, (0.8, 4.0)),
    ("Børn og Unge", "Klubber og ungdomsskole", "klub", 6, ("",), 90_000, (0.9, 4.5)),
    ("Børn og Unge", "PPR og sundhedspleje", "administration", 3, ("",), 120_000, (2.0, 3.0)),
    ("Social, Sundhed og Omsorg", "Plejecentre", "plejecenter", 5, ("", "Køkken", "Aktivitetscenter"),
     1_100_000, (1.8, 3.6)),
    ("Social, Sundhed og Omsorg", "Hjemmepleje", "hjemmepleje", 4, ("",), 350_000, (1.5, 3.5)),
    ("Social, Sundhed og Omsorg", "Botilbud", "botilbud", 10, ("",), 300_000, (0.7, 5.0)),
    ("Social, Sundhed og Omsorg", "Sundhed og træning", "sundhed", 4, ("",), 220_000, (1.5, 3.0)),
    ("By, Miljø og Teknik", "Vej og Park", "vej og park", 3, ("", "Materielgård"), 1_500_000, (1.0, 4.0)),
    ("By, Miljø og Teknik", "Ejendomme og service", "ejendomsservice", 5, ("",), 500_000, (0.9, 4.0)),
    ("Kultur og Fritid", "Biblioteker", "kultur", 3, ("",), 380_000, (1.2, 3.0)),
    ("Kultur og Fritid", "Idræts- og kulturanlæg", "kultur", 8, ("",), 150_000, (0.9, 4.0)),
    ("Kultur og Fritid", "Musikskole og kulturhus", "kultur", 2, ("",), 200_000, (1.0, 3.5)),
    ("Administration og Økonomi", "Rådhuset", "administration", 24, ("",), 140_000, (2.4, 3.0)),
    ("Arbejdsmarked", "Jobcenter", "administration", 4, ("",), 150_000, (2.5, 3.0)),
]

NAMES = {
    "skole": "{}skolen", "dagtilbud": "Børnehuset {}", "dagpleje": "Dagplejen {}", "klub": "Klub {}",
    "plejecenter": "Plejecenter {}", "hjemmepleje": "Hjemmeplejen {}", "botilbud": "Botilbuddet {}",
    "sundhed": "Træningscenter {}", "vej og park": "Vej og Park {}", "ejendomsservice": "Ejendomsservice {}",
    "kultur": "{} Kulturhus", "administration": "{}",
}
PLACES = ["Nordby", "Østervang", "Engly", "Bakkehus", "Søvang", "Kirkebjerg", "Torvehøj", "Parkvej",
          "Hedeby", "Mosegård", "Skovbryn", "Fjordvej", "Lindevang", "Egebjerg", "Rosenhøj", "Vestervang",
          "Solbakken", "Kildebakken", "Bøgely", "Granhøj", "Møllevang", "Tranehøj", "Åbakken", "Stationsbyen"]
FLOWERS = ["Solsikken", "Mælkebøtten", "Regnbuen", "Troldehøj", "Spiren", "Myretuen", "Bikuben", "Kløveren",
           "Valmuen", "Skovmusen", "Humlebien", "Lærkereden", "Ugleborg", "Mariehønen", "Svalen", "Pilehuset",
           "Egernet", "Krudtuglen", "Søstjernen", "Rævehulen", "Birkely", "Hasselhuset", "Kastanjen", "Ellebo",
           "Fuglereden", "Tusindfryd", "Blåklokken", "Hyldebo", "Græshoppen", "Sommerfuglen", "Nøddebo", "Ahornen"]
DEPARTMENTS = ["Økonomi", "HR og Løn", "IT og Digitalisering", "Borgerservice", "Byggesag", "Miljø og Natur",
               "Politisk Sekretariat", "Indkøb", "Jura", "Kommunikation", "Ydelse", "Opkrævning",
               "Plan og Udvikling", "Trafik", "Sundhedsfremme", "Myndighed Børn", "Myndighed Voksne",
               "Rehabilitering", "Visitation", "Kultur og Fritid, stab", "Teknisk stab", "Beskæftigelse",
               "Integration", "Ungeindsatsen"]

# Category group -> (UNSPSC code, description) of the goods bought in it.
GOODS = {
    "kontor": [("44121701", "Kuglepenne"), ("44122011", "Mapper"), ("14111507", "Kopipapir A4"),
               ("44103103", "Toner"), ("44111515", "Skuffeboks")],
    "it": [("43211503", "Bærbar computer"), ("43211902", "Skærm"), ("43212105", "Laserprinter"),
           ("43202005", "USB-nøgle"), ("43211708", "Mus")],
    "av": [("45111609", "Projektor"), ("52161505", "Fjernsyn"), ("52161512", "Højttaler")],
    "møbler": [("56101504", "Stol"), ("56101519", "Bord"), ("56101702", "Reol")],
    "fødevarer": [("50131701", "Mælk"), ("50181901", "Rugbrød"), ("50301500", "Æbler"),
                  ("50112004", "Hakket oksekød"), ("50201706", "Kaffe")],
    "rengøring": [("47131800", "Rengøringsmiddel"), ("47131502", "Klude"), ("14111704", "Toiletpapir"),
                  ("47121701", "Affaldssække")],
    "pleje": [("42132203", "Engangshandsker"), ("53131608", "Håndsæbe"), ("42141502", "Vatpinde"),
              ("42192401", "Hjælpemiddel")],
    "undervisning": [("60121000", "Hobbymaterialer"), ("60141000", "Legetøj"), ("55101500", "Bøger"),
                     ("49161500", "Bolde")],
    "værktøj": [("27111500", "Skæreværktøj"), ("27112000", "Håndværktøj"), ("46181504", "Arbejdshandsker"),
                ("10161500", "Planter"), ("39101600", "Lyskilder")],
}
SERVICES = [("72101500", "Bygningsvedligehold"), ("80111600", "Vikarydelser"), ("81112200", "Softwarevedligehold"),
            ("78101800", "Vognmandskørsel"), ("86101700", "Kursus"), ("90101600", "Forplejning"),
            ("93151500", "Mellemkommunal betaling")]
SHOPS = ["Supermarkedet", "Byggemarkedet", "Hobbyforretningen", "Boghandlen", "Elektronikforretningen",
         "Apoteket", "Sportsbutikken", "Isenkræmmeren", "Legetøjsbutikken", "Havecentret"]
FIRST_NAMES = ["Anne", "Mette", "Hanne", "Lars", "Jens", "Peter", "Susanne", "Mads", "Sofie", "Emil"]
LAST_NAMES = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Larsen", "Sørensen", "Rasmussen"]

# Share of a unit type's goods spend per category group.
MIX = {
    "skole": {"kontor": 3, "it": 3, "av": 1, "møbler": 2, "fødevarer": 1, "rengøring": 1, "undervisning": 4},
    "dagtilbud": {"fødevarer": 5, "rengøring": 2, "pleje": 1, "undervisning": 3, "kontor": 1, "møbler": 1},
    "dagpleje": {"fødevarer": 4, "undervisning": 3, "rengøring": 1, "pleje": 1},
    "klub": {"fødevarer": 3, "undervisning": 3, "av": 1, "kontor": 1},
    "plejecenter": {"fødevarer": 6, "pleje": 4, "rengøring": 2, "møbler": 1, "kontor": 1},
    "hjemmepleje": {"pleje": 5, "kontor": 1, "it": 1, "rengøring": 1},
    "botilbud": {"fødevarer": 5, "rengøring": 1, "pleje": 1, "undervisning": 2, "møbler": 1},
    "sundhed": {"pleje": 4, "kontor": 1, "it": 1, "undervisning": 1},
    "vej og park": {"værktøj": 8, "rengøring": 1, "kontor": 1},
    "ejendomsservice": {"værktøj": 5, "rengøring": 4, "møbler": 1},
    "kultur": {"undervisning": 3, "av": 2, "kontor": 2, "fødevarer": 1, "møbler": 1},
    "administration": {"kontor": 4, "it": 4, "møbler": 1, "fødevarer": 1, "av": 1},
}
AGREEMENT_GROUPS = {"kontor": ("44", "141115"), "it": ("43",), "fødevarer": ("50",), "rengøring": ("47",),
                    "møbler": ("56",), "pleje": ("42",), "av": ("45", "5216")}

# Document size per channel: lognormal median kr. and sigma.
SIZE = {"ehandel": (1_300.0, 1.0), "invoice": (900.0, 1.2), "card": (220.0, 0.9), "service": (6_000.0, 1.3)}
PENALISED = 30  # units the proposal's rule cuts (its N), for a known effect (generate's penalty_effect)
CARD_SHARE = (0.04, 0.16)  # card share of a unit's non-e-handel goods spend, uniform range
SERVICE_SHARE = (0.15, 0.45)  # non-eligible spend relative to goods budget, uniform range
CREDIT_NOTE_SHARE = 0.03

# Real-like mode: the art (municipal chart of accounts) each group is posted to, and how often an
# invoice outside e-handel quotes a number that is some other order's.
GROUP_ART = {"fødevarer": "2.2", "it": "2.7", "av": "2.7", "møbler": "2.7", "kontor": "2.9", "rengøring": "2.9",
             "pleje": "2.9", "undervisning": "2.9", "værktøj": "2.9", "service": "4.9"}
CODE_ART = {code: GROUP_ART[group] for group, items in [*GOODS.items(), ("service", SERVICES)] for code, _ in items}
CODE_ART["93151500"] = "4.7"  # mellemkommunale betalinger
FOREIGN_ORDER_SHARE = 0.08


@dataclass
class Summary:
    """What was generated, for the console and the tests."""

    units: int
    invoice_lines: int
    orders: int
    card_transactions: int
    goods_spend_per_year: float


def _gln(rng: np.random.Generator, n: int, block: int = 0) -> list[str]:
    """n distinct 13-digit GLN numbers starting 5798 with a valid GS1 check digit; each block (one
    municipality) has its own range of a million numbers, so municipalities never share one."""
    bodies = 579800000000 + block * 1_000_000 + rng.choice(1_000_000, size=n, replace=False)
    out = []
    for body in bodies:
        digits = [int(d) for d in str(body)]
        total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
        out.append(f"{body}{(10 - total % 10) % 10}")
    return out


def _cvr(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct 8-digit CVR numbers that pass the modulus-11 check."""
    weights = np.array([2, 7, 6, 5, 4, 3, 2])
    out: set[str] = set()
    result = []
    while len(result) < n:
        first = rng.integers(1, 10)
        rest = rng.integers(0, 10, size=6)
        digits = np.concatenate([[first], rest])
        check = (-int(digits @ weights)) % 11
        number = "".join(map(str, digits)) + str(check)
        if check < 10 and number not in out:
            out.add(number)
            result.append(number)
    return result


def _units(rng: np.random.Generator, scale: float, block: int = 0) -> pd.DataFrame:
    rows = []
    counters: dict[str, int] = {}
    for level1, level2, unit_type, count, parts, median, (a, b) in ORGANISATION:
        for _ in range(max(1, round(count * scale))):
            i = counters.get(unit_type, 0)
            counters[unit_type] = i + 1
            if unit_type == "administration":
                pool = DEPARTMENTS
            elif unit_type in ("dagtilbud", "klub"):
                pool = FLOWERS
            else:
                pool = PLACES
            name = pool[i % len(pool)] + ("" if i < len(pool) else f" {i // len(pool) + 1}")
            institution = NAMES[unit_type].format(name)
            propensity = rng.beta(a, b)
            for part in parts:
                rows.append({
                    "level1": level1, "level2": level2, "level3": institution,
                    "level4": f"{institution}, {part}" if part else institution,
                    "unit_type": unit_type,
                    "budget": median * rng.lognormal(0, 0.45) * (0.5 if part else 1.0),
                    "propensity": float(np.clip(propensity + rng.normal(0, 0.04), 0.0, 0.9)),
                })
    units = pd.DataFrame(rows)
    units["ean"] = _gln(rng, len(units), block)
    units["name"] = units["level4"]
    units["budget"] = (units["budget"] * GOODS_PER_YEAR * scale / units["budget"].sum()).round(-3)
    return units


def _suppliers(rng: np.random.Generator) -> pd.DataFrame:
    words = ["Nordisk", "Dansk", "Sjællands", "Øresund", "Scandi", "Hovedstadens", "Fælles", "Nova", "Alfa", "Borup"]
    trades = {"kontor": "Kontorforsyning", "it": "IT", "av": "AV-teknik", "møbler": "Inventar",
              "fødevarer": "Engros", "rengøring": "Hygiejne", "pleje": "Plejeprodukter",
              "undervisning": "Skole og Leg", "værktøj": "Værktøj og Maskiner", "service": "Service"}
    rows = []
    for group, trade in trades.items():
        n = 12 if group == "service" else 6
        for j in range(n):
            form = ["A/S", "ApS", "I/S"][j % 3]
            rows.append({"group": group, "name": f"{words[(j * 3 + len(group)) % len(words)]} {trade} {form}",
                         "on_agreement": group in AGREEMENT_GROUPS and j == 0})
    suppliers = pd.DataFrame(rows)
    suppliers["cvr"] = _cvr(rng, len(suppliers))
    suppliers["name"] = suppliers["name"] + np.where(suppliers.duplicated("name"), " " + suppliers.index.astype(str), "")
    return suppliers


def _dates(rng: np.random.Generator, year: int, n: int) -> np.ndarray:
    month = rng.choice(12, size=n, p=SEASON / SEASON.sum())
    start = np.array([date(year, m + 1, 1).toordinal() for m in range(12)])
    length = np.array([(date(year + (m == 11), (m + 1) % 12 + 1, 1) - date(year, m + 1, 1)).days for m in range(12)])
    return start[month] + (rng.random(n) * length[month]).astype(int)


def _sizes(rng: np.random.Generator, channel: str, total_ore: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each unit's channel spend (øre) into documents; returns unit index and amount per document."""
    median, sigma = SIZE[channel]
    mean = median * np.exp(sigma**2 / 2) * 100
    counts = np.where(total_ore > 0, np.maximum(1, np.round(total_ore / mean)), 0).astype(int)
    unit = np.repeat(np.arange(len(total_ore)), counts)
    raw = rng.lognormal(np.log(median * 100), sigma, size=len(unit))
    per_unit = np.bincount(unit, weights=raw, minlength=len(total_ore))
    amount = np.maximum(100, np.round(raw * total_ore[unit] / per_unit[unit])).astype(np.int64)
    return unit, amount


def _danish_amount(ore: np.ndarray) -> list[str]:
    return [f"{v / 100:,.2f}".translate(str.maketrans(",.", ".,")) for v in ore]


def _danish_date(ordinals: np.ndarray) -> list[str]:
    return [date.fromordinal(int(d)).strftime("%d-%m-%Y") for d in ordinals]


EPOCH = date(1970, 1, 1).toordinal()
DATE_COLUMNS = ("Fakturadato", "Ordredato", "Transaktionsdato")  # held as day ordinals until written
AMOUNT_COLUMNS = ("Beløb", "Varebudget")  # held as øre until written


def _write(frame: pd.DataFrame, path: Path, encoding: str, append: bool) -> None:
    """Danish CSV (decimal comma, dd-mm-yyyy), or typed Parquet when ``path`` ends in .parquet."""
    if path.suffix == ".parquet":
        arrays = {}
        for column in frame.columns:
            values = frame[column].to_numpy()
            if column in DATE_COLUMNS:
                arrays[column] = pa.array((values - EPOCH).astype("int32"), pa.date32())
            elif column in AMOUNT_COLUMNS:
                arrays[column] = pa.array(values / 100, pa.float64())
            else:
                arrays[column] = pa.array(values.astype(str) if values.dtype.kind in "OU" else values)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(arrays), path)
        return
    out = frame.copy()
    for column in out.columns.intersection(DATE_COLUMNS):
        out[column] = _danish_date(out[column].to_numpy())
    for column in out.columns.intersection(AMOUNT_COLUMNS):
        out[column] = _danish_amount(out[column].to_numpy())
    out.to_csv(path, sep=";", index=False, encoding=encoding, mode="a" if append else "w", header=not append,
               quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")


def _year_batch(rng: np.random.Generator, units: pd.DataFrame, suppliers: pd.DataFrame, year: int,
                first_year: int, seq: dict[str, int], boost: np.ndarray | float = 0.0,
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Invoice lines, orders and card transactions of one year for a batch of units, and each
    unit's e-handel share that year (``boost``: a known effect added to it)."""
    n = len(units)
    propensity = np.clip(units["propensity"].to_numpy() + 0.025 * (year - first_year)
                         + rng.normal(0, 0.03, n) + boost, 0.003, 0.92)
    goods = units["budget"].to_numpy() * rng.uniform(0.85, 1.08, n) * 100
    ehandel = goods * propensity
    card = (goods - ehandel) * rng.uniform(*CARD_SHARE, n)
    channels = {"ehandel": ehandel, "invoice": goods - ehandel - card, "card": card,
                "service": goods * rng.uniform(*SERVICE_SHARE, n)}
    docs = []
    for channel, spend in channels.items():
        unit, amount = _sizes(rng, channel, np.round(spend))
        docs.append(pd.DataFrame({"unit": unit, "amount": amount, "channel": channel}))
    docs = pd.concat(docs, ignore_index=True)
    docs["day"] = _dates(rng, year, len(docs))
    groups = np.empty(len(docs), dtype=object)
    types = units["unit_type"].to_numpy()[docs["unit"].to_numpy()]
    for unit_type, mix in MIX.items():
        mask = (types == unit_type) & (docs["channel"] != "service").to_numpy()
        names, weights = list(mix), np.array(list(mix.values()), float)
        groups[mask] = rng.choice(names, size=mask.sum(), p=weights / weights.sum())
    groups[(docs["channel"] == "service").to_numpy()] = "service"
    docs["group"] = groups
    docs = docs.sort_values(["day", "unit", "channel"], kind="stable").reset_index(drop=True)

    card_docs = docs[docs["channel"] == "card"]
    invoice_docs = docs[docs["channel"] != "card"].reset_index(drop=True)
    supplier = _pick_suppliers(rng, invoice_docs, suppliers)
    invoice_docs["cvr"] = suppliers["cvr"].to_numpy()[supplier]
    invoice_docs["supplier_name"] = suppliers["name"].to_numpy()[supplier]
    invoice_docs["on_agreement"] = suppliers["on_agreement"].to_numpy()[supplier]
    start = seq["invoice"]
    invoice_docs["invoice_no"] = (year * 10**7 + start + np.arange(len(invoice_docs))).astype(str)
    seq["invoice"] += len(invoice_docs)
    is_eh = (invoice_docs["channel"] == "ehandel").to_numpy()
    start = seq["order"]
    order_ids = np.char.add(f"EH-{year}-", np.char.zfill((start + np.arange(is_eh.sum())).astype(str), 7)).astype(object)
    seq["order"] += int(is_eh.sum())
    refs = rng.choice(np.array(["N/A", "", "Mail", "Tlf. bestilling"], dtype=object), size=len(invoice_docs),
                      p=[0.7, 0.2, 0.05, 0.05])
    refs[is_eh] = order_ids
    invoice_docs["order_ref"] = refs
    orders = pd.DataFrame({
        "Ordrenummer": order_ids,
        "Ordredato": invoice_docs.loc[is_eh, "day"].to_numpy() - rng.integers(2, 15, is_eh.sum()),
        "EAN-nummer": units["ean"].to_numpy()[invoice_docs.loc[is_eh, "unit"].to_numpy()],
        "Leverandør CVR": invoice_docs.loc[is_eh, "cvr"].to_numpy(),
        "Beløb": invoice_docs.loc[is_eh, "amount"].to_numpy(),
        "Ordretype": rng.choice(["E-katalog", "Punch-out"], size=is_eh.sum(), p=[0.8, 0.2]),
    })
    lines = _invoice_lines(rng, invoice_docs, units, year)
    cards = _card_transactions(rng, card_docs, units, year, seq)
    return lines, orders, cards, propensity


def _pick_suppliers(rng: np.random.Generator, docs: pd.DataFrame, suppliers: pd.DataFrame) -> np.ndarray:
    """E-handel mostly goes to the agreement supplier; other purchases spread over the rest."""
    chosen = np.zeros(len(docs), dtype=int)
    for group, candidates in suppliers.groupby("group").groups.items():
        mask = (docs["group"] == group).to_numpy()
        idx = np.asarray(candidates)
        agreement = idx[suppliers.loc[idx, "on_agreement"].to_numpy()]
        pick = rng.choice(idx, size=mask.sum())
        if len(agreement):
            p_agreement = np.where(docs.loc[mask, "channel"].to_numpy() == "ehandel", 0.85, 0.35)
            pick = np.where(rng.random(mask.sum()) < p_agreement, agreement[0], pick)
        chosen[mask] = pick
    return chosen


def _invoice_lines(rng: np.random.Generator, docs: pd.DataFrame, units: pd.DataFrame, year: int) -> pd.DataFrame:
    n_lines = np.minimum(1 + rng.poisson(1.3, len(docs)), 8)
    doc = np.repeat(np.arange(len(docs)), n_lines)
    line_no = np.arange(len(doc)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    share = rng.gamma(1.0, size=len(doc))
    share /= np.bincount(doc, weights=share)[doc]
    amount = np.floor(docs["amount"].to_numpy()[doc] * share).astype(np.int64)
    first = line_no == 1
    amount[first] += docs["amount"].to_numpy() - np.bincount(doc, weights=amount).astype(np.int64)
    groups = docs["group"].to_numpy()[doc]
    code, text = np.empty(len(doc), dtype=object), np.empty(len(doc), dtype=object)
    for group, items in list(GOODS.items()) + [("service", SERVICES)]:
        mask = groups == group
        pick = rng.integers(0, len(items), mask.sum())
        code[mask] = np.array([c for c, _ in items], dtype=object)[pick]
        text[mask] = np.array([t for _, t in items], dtype=object)[pick]
    contract = np.where(docs["on_agreement"].to_numpy()[doc],
                        "Fællesaftale " + pd.Series(groups).str.capitalize().to_numpy(), "")
    lines = pd.DataFrame({
        "Fakturanummer": docs["invoice_no"].to_numpy()[doc], "Linjenummer": line_no,
        "Fakturadato": docs["day"].to_numpy()[doc],
        "EAN-nummer": units["ean"].to_numpy()[docs["unit"].to_numpy()[doc]],
        "Leverandør CVR": docs["cvr"].to_numpy()[doc], "Leverandørnavn": docs["supplier_name"].to_numpy()[doc],
        "UNSPSC": code, "Varebeskrivelse": text, "Beløb": amount,
        "Ordrereference": docs["order_ref"].to_numpy()[doc], "Kontraktnavn": contract, "Dokumenttype": "Faktura",
    })
    credit = lines[rng.random(len(lines)) < CREDIT_NOTE_SHARE].copy()
    if len(credit):
        credit["Fakturanummer"] = "K" + credit["Fakturanummer"]
        credit["Linjenummer"] = 1
        credit = credit.drop_duplicates("Fakturanummer")
        credit["Beløb"] = -np.maximum(1, (credit["Beløb"] * rng.uniform(0.1, 1.0, len(credit))).round()).astype(np.int64)
        later = credit["Fakturadato"].to_numpy() + rng.integers(5, 40, len(credit))
        credit["Fakturadato"] = np.minimum(later, date(year, 12, 31).toordinal())
        credit["Dokumenttype"] = "Kreditnota"
        lines = pd.concat([lines, credit], ignore_index=True)
    return lines


def _card_transactions(rng: np.random.Generator, docs: pd.DataFrame, units: pd.DataFrame, year: int,
                       seq: dict[str, int]) -> pd.DataFrame:
    codes = np.empty(len(docs), dtype=object)
    for group, items in GOODS.items():
        mask = (docs["group"] == group).to_numpy()
        codes[mask] = np.array([c for c, _ in items], dtype=object)[rng.integers(0, len(items), mask.sum())]
    start = seq["card"]
    seq["card"] += len(docs)
    return pd.DataFrame({
        "Transaktions-ID": np.char.add("K", (year * 10**8 + start + np.arange(len(docs))).astype(str)),
        "Transaktionsdato": docs["day"].to_numpy(),
        "EAN-nummer": units["ean"].to_numpy()[docs["unit"].to_numpy()],
        "Forretning": rng.choice(SHOPS, len(docs)),
        "UNSPSC": codes,
        "Beløb": docs["amount"].to_numpy(),
        "Tekst": rng.choice(["Indkøb til aktivitet", "Udflugt", "Manglende varer", "Hasteindkøb", ""], len(docs)),
        "Kortholder": np.char.add(np.char.add(rng.choice(FIRST_NAMES, len(docs)), " "), rng.choice(LAST_NAMES, len(docs))),
    })


def _real_like(rng: np.random.Generator, lines: pd.DataFrame, orders: pd.DataFrame, cards: pd.DataFrame,
               cost_centres: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The batch's invoice lines and card transactions as real exports have them (see the module doc);
    the purchases themselves do not change."""
    lines, cards = lines.copy(), cards.copy()
    catalogue = lines["Ordrereference"].isin(orders["Ordrenummer"]).to_numpy()
    art = lines["UNSPSC"].map(CODE_ART).to_numpy()
    lines["Kontering"] = lines["EAN-nummer"].map(cost_centres).to_numpy() + "-" + art
    lines["UNSPSC"] = np.where(catalogue, lines["UNSPSC"], "")
    # Some invoices outside e-handel quote another order's number (the supplier's own numbering, a
    # colleague's order): matched on the number alone they would count as e-handel.
    documents = lines.loc[~catalogue, "Fakturanummer"].unique()
    if len(orders) and len(documents):
        quoting = documents[rng.random(len(documents)) < FOREIGN_ORDER_SHARE]
        foreign = dict(zip(quoting, rng.choice(orders["Ordrenummer"].to_numpy(), len(quoting))))
        quoted = lines["Fakturanummer"].map(foreign)
        lines["Ordrereference"] = quoted.where(quoted.notna(), lines["Ordrereference"])
    cards["Art"] = cards["UNSPSC"].map(CODE_ART).to_numpy()
    cards["UNSPSC"] = ""
    return lines, cards


def generate(out_dir: Path, seed: int = 2026, years: tuple[int, ...] = (2023, 2024, 2025),
             scale: float = 1.0, municipality: str = MUNICIPALITY, municipalities: int = 1,
             file_format: str = "csv", real_like: bool = False,
             penalty_effect: tuple[int, float] | None = None) -> Summary:
    """Write synthetic raw exports into ``out_dir`` (replacing earlier ones).

    One municipality by default. With ``municipalities`` > 1, as many municipalities as for a
    national data set, named "<municipality> 01", …, sharing the suppliers, with a Kommune column
    in the units file. ``file_format`` "parquet" writes typed Parquet partitioned by municipality
    and year (``fakturalinjer/kommune=001/aar=2025/del-000.parquet``), as a bulk export would.
    ``real_like``: the same purchases as real exports have them (module doc).
    ``penalty_effect`` = (year, rise): a known effect for the evaluation (notebook 07). The units
    the proposal's rule selects on the year before (the ``PENALISED`` with the lowest e-handel
    share) raise their share by ``rise`` from that year on; without it, nothing changes.
    """
    if penalty_effect is not None and (municipalities != 1 or penalty_effect[0] - 1 not in years):
        raise ValueError("penalty_effect: one municipality, and the year before the effect among the years")
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be csv or parquet, not {file_format!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("*.csv"), *out_dir.glob("*.parquet")]:
        old.unlink()
    for folder in ("fakturalinjer", "ordrer", "kort"):
        shutil.rmtree(out_dir / folder, ignore_errors=True)
    rng = np.random.default_rng(seed)
    suppliers = _suppliers(rng)
    names = [municipality] if municipalities == 1 else [f"{municipality} {m + 1:02d}" for m in range(municipalities)]
    counts = {"lines": 0, "orders": 0, "cards": 0}
    seq = {"invoice": 1, "order": 1, "card": 1}
    all_units = []
    for m, name in enumerate(names):
        local = rng if municipalities == 1 else np.random.default_rng([seed, m])
        units = _units(local, scale, block=m)
        units["municipality"] = name
        units["cost_centre"] = [f"{m + 1:03d}{i:05d}" for i in range(len(units))]
        all_units.append(units)
        cost_centres = dict(zip(units["ean"], units["cost_centre"]))
        penalised: set[str] = set()
        for year in years:
            shares: dict[str, float] = {}
            for batch_number, start in enumerate(range(0, len(units), UNIT_BATCH)):
                batch = units.iloc[start:start + UNIT_BATCH].reset_index(drop=True)
                boost = 0.0
                if penalty_effect is not None and year >= penalty_effect[0]:
                    boost = batch["ean"].isin(penalised).to_numpy() * penalty_effect[1]
                lines, orders, cards, share = _year_batch(local, batch, suppliers, year, years[0], seq, boost)
                shares.update(zip(batch["ean"], share))
                if real_like:  # its own random numbers, so the purchases are the default's
                    lines, cards = _real_like(np.random.default_rng([seed, m, year, batch_number, 1]), lines, orders,
                                              cards, cost_centres)
                append = start > 0 or m > 0
                for frame, kind, encoding in ((lines, "fakturalinjer", "utf-8-sig"), (orders, "ordrer", "utf-8"),
                                              (cards, "kort", "cp1252")):
                    if file_format == "parquet":
                        path = out_dir / kind / f"kommune={m + 1:03d}" / f"aar={year}" / f"del-{batch_number:03d}.parquet"
                    else:
                        path = out_dir / f"{kind}_{year}.csv"
                    _write(frame, path, encoding, append)
                counts["lines"] += len(lines)
                counts["orders"] += len(orders)
                counts["cards"] += len(cards)
            if penalty_effect is not None and year == penalty_effect[0] - 1:
                penalised = set(sorted(shares, key=lambda ean: (shares[ean], ean))[:PENALISED])
    units = pd.concat(all_units, ignore_index=True)
    units_out = pd.DataFrame({
        "EAN-nummer": units["ean"], "Navn": units["name"], "Kommune": units["municipality"],
        "EAN-niveau 1": units["level1"], "EAN-niveau 2": units["level2"], "EAN-niveau 3": units["level3"],
        "EAN-niveau 4": units["level4"], "Enhedstype": units["unit_type"],
        "Varebudget": (units["budget"] * 100).round().astype(np.int64),
    })
    for stale in ("budgetter.csv", "omkostningssteder.csv"):
        (out_dir / stale).unlink(missing_ok=True)
    if real_like:  # budgets by cost centre and art instead of a Varebudget per EAN
        units_out = units_out.drop(columns="Varebudget")
        _write_budgets(units, years, out_dir)
    _write(units_out, out_dir / ("enheder.parquet" if file_format == "parquet" else "enheder.csv"), "utf-8-sig",
           append=False)
    _write_agreements(suppliers, years, out_dir)
    (out_dir / "kommune.txt").write_text(f"{municipality}\n", encoding="utf-8")
    (out_dir / "SYNTETISK.txt").write_text(
        f"Syntetiske data genereret af 'analysis demo-data' (seed {seed}, scale {scale}, "
        f"{municipalities} kommune(r){', som rigtige eksporter' if real_like else ''}).\n"
        "Ingen tal heri beskriver en virkelig kommune.\n", encoding="utf-8")
    return Summary(len(units), counts["lines"], counts["orders"], counts["cards"], float(units["budget"].sum()))


def _write_budgets(units: pd.DataFrame, years: tuple[int, ...], out_dir: Path) -> None:
    """Real-like budgets: each unit's goods budget (øre) over the arts its purchase mix is posted to,
    a services row (hovedart 4, not goods) on top, and 10,000 kr. of each of the first two units'
    budgets held on one shared cost centre that the crosswalk splits half and half."""
    rows, crosswalk = [], []
    shared = "99999"
    budget = (units["budget"] * 100).round().astype(np.int64).to_numpy()
    for index, unit in enumerate(units.itertuples()):
        mix = MIX[unit.unit_type]
        by_art: dict[str, float] = {}
        for group, weight in mix.items():
            by_art[GROUP_ART[group]] = by_art.get(GROUP_ART[group], 0) + weight
        total = budget[index] - (1_000_000 if index < 2 else 0)
        arts = sorted(by_art)
        parts = [total * by_art[a] // sum(by_art.values()) for a in arts]
        parts[0] += total - sum(parts)
        for year in years:
            rows += [{"Omkostningssted": unit.cost_centre, "Art": art, "År": year, "Budget": part}
                     for art, part in zip(arts, parts)]
            rows.append({"Omkostningssted": unit.cost_centre, "Art": "4.9", "År": year, "Budget": budget[index] // 3})
        crosswalk.append({"Omkostningssted": unit.cost_centre, "EAN-nummer": unit.ean, "Andel": ""})
        if index < 2:
            crosswalk.append({"Omkostningssted": shared, "EAN-nummer": unit.ean, "Andel": "0,5"})
    rows += [{"Omkostningssted": shared, "Art": "2.9", "År": year, "Budget": 2_000_000} for year in years]
    frame = pd.DataFrame(rows)
    frame["Budget"] = _danish_amount(frame["Budget"].to_numpy())
    frame.to_csv(out_dir / "budgetter.csv", sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    pd.DataFrame(crosswalk).to_csv(out_dir / "omkostningssteder.csv", sep=";", index=False, encoding="utf-8-sig",
                                   lineterminator="\r\n")


def _write_agreements(suppliers: pd.DataFrame, years: tuple[int, ...], out_dir: Path) -> None:
    rows = []
    for _, supplier in suppliers[suppliers["on_agreement"]].iterrows():
        for prefix in AGREEMENT_GROUPS[supplier["group"]]:
            rows.append({"Kontraktnavn": f"Fællesaftale {supplier['group'].capitalize()}",
                         "Leverandør CVR": supplier["cvr"], "UNSPSC-præfiks": prefix, "Forpligtende": "ja",
                         "Gyldig fra": f"01-01-{min(years) - 1}", "Gyldig til": f"31-12-{max(years) + 2}"})
    _write(pd.DataFrame(rows), out_dir / "aftaler.csv", "utf-8-sig", append=False)

