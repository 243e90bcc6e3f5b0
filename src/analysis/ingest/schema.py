"""The import format: which raw files the ingest reads and what their columns mean.

One place describes every file kind, its canonical column names, the header aliases that real
Danish exports use (KMD Insight, ERP and card-system exports), and each column's type. The ingest
derives its parsing and validation from this table, and ``data/README.md`` documents the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    ``kind`` decides parsing and validation: ``text``, ``id`` (text that identifies: a number Excel
    has turned into scientific notation, ``2,02501E+10``, is refused), ``int``, ``date``, ``amount``, ``ean``
    (13-digit GLN with check digit), ``cvr`` (8 digits, an optional ``DK`` prefix is removed),
    ``unspsc`` (8 digits), ``art`` (an account type such as 2.2 or 22), ``flag`` (ja/nej) or
    ``personal`` (read, never loaded).
    """


    name: str
    kind: str
    required: bool = True
    aliases: tuple[str, ...] = ()
    doc: str = ""
    blank_if_bad: bool = False  # an optional value that fails its check is blanked (and counted), not the row lost
    identifies: bool = False  # the header must be there (it tells the kind), though a value may be blank

    @property
    def header_required(self) -> bool:
        return self.required or self.identifies


@dataclass(frozen=True)
class FileKind:
    """A kind of raw file, recognised by the start of its file name."""

    name: str
    prefixes: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True
    doc: str = ""
    amount_column: str | None = "amount"
    key: tuple[str, ...] = field(default_factory=tuple)
    label: str = ""  # what the reports call it (Danish)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


UNITS = FileKind(
    name="units",
    label="Enheder",
    prefixes=("enheder", "units"),
    required=False,
    doc="Buying units (EAN locations) with their place in the organisation and goods budget. Without it,"
        " each buyer EAN of the invoices is a unit of its own (named as the invoices name it; levels and"
        " budget unknown), and the ingest says so.",
    amount_column="goods_budget",
    key=("ean",),
    columns=(
        Column("ean", "ean", aliases=("EAN-nummer", "EAN", "GLN", "EAN-lokationsnummer"),
               doc="13-digit EAN/GLN location number (5798…), with a valid check digit."),
        Column("name", "text", aliases=("Navn", "Enhed", "Enhedsnavn"), doc="Unit name."),
        Column("municipality", "text", required=False, aliases=("Kommune",),
               doc="Municipality, for files covering several; default: the ingest's municipality name."),
        Column("level1", "text", aliases=("EAN-niveau 1", "Niveau 1", "Område"),
               doc="Organisation level 1 (area, e.g. Børn og Unge)."),
        Column("level2", "text", aliases=("EAN-niveau 2", "Niveau 2", "Sektor"),
               doc="Organisation level 2 (sector, e.g. Skoler)."),
        Column("level3", "text", aliases=("EAN-niveau 3", "Niveau 3", "Institution"),
               doc="Organisation level 3 (institution)."),
        Column("level4", "text", aliases=("EAN-niveau 4", "Niveau 4", "Afdeling"),
               doc="Organisation level 4 (the buying unit itself)."),
        Column("unit_type", "text", aliases=("Enhedstype", "Type"),
               doc="Kind of unit: skole, dagtilbud, plejecenter, administration, …"),
        Column("goods_budget", "amount", required=False, aliases=("Varebudget", "Budget varekøb"), blank_if_bad=True,
               doc="Yearly budget for goods (varekøb og fødevarer), kr. Optional: a budget file by cost centre"
                   " (`budgetter…` with `omkostningssteder…`) gives it instead; without either, the penalty's"
                   " `budget` key is refused. A value that is not an amount, or is negative, is blanked and"
                   " counted: the unit and its purchases stay, and the `budget` key and the cap are refused"
                   " while a selected unit has no budget."),
        Column("other_ids", "text", required=False, aliases=("Øvrige ID", "Øvrige ID'er", "Alternative ID"),
               doc="Other identifiers invoices use for this unit, separated by `|`: a CVR endpoint or an"
                   " AccountingCost string. A buyer found in exactly one unit's list gets that unit's EAN."),
    ),
)

INVOICE_LINES = FileKind(
    name="invoice_lines",
    label="Fakturalinjer",
    prefixes=("fakturalinjer", "invoice_lines", "fakturaer", "invoices"),
    doc="Invoice and credit-note lines received as OIOUBL/Peppol e-invoices (as a table, or the XML"
        " documents themselves: see 'E-invoices as XML').",
    key=("supplier_id", "document_type", "invoice_no", "line_no"),
    columns=(
        Column("invoice_no", "id", aliases=("Fakturanummer", "Fakturanr", "Bilagsnummer"),
               doc="Supplier's invoice number (OIOUBL cbc:ID)."),
        Column("line_no", "int", aliases=("Linjenummer", "Linjenr", "Fakturalinje"),
               doc="Line number within the invoice (cac:InvoiceLine/cbc:ID)."),
        Column("invoice_date", "date", aliases=("Fakturadato", "Bilagsdato"),
               doc="Invoice date (cbc:IssueDate), dd-mm-yyyy or yyyy-mm-dd."),
        Column("buyer_ean", "ean", aliases=("EAN-nummer", "EAN", "Køber EAN"),
               doc="Buyer's EAN location (AccountingCustomerParty EndpointID, schemeID GLN)."),
        Column("supplier_cvr", "cvr", required=False, aliases=("Leverandør CVR", "CVR-nummer", "CVR", "Leverandør-CVR"),
               doc="Supplier CVR number (PartyLegalEntity CompanyID, DK:CVR or 0184). Required unless"
                   " `supplier_id` is given."),
        Column("supplier_id", "text", required=False, aliases=("Leverandør-ID", "Leverandør ID"),
               doc="Another supplier identifier where there is no CVR: a foreign VAT number (SE556…), or"
                   " 'CPR-registreret' for a sole trader (the CPR number itself is never stored)."),
        Column("supplier_name", "text", aliases=("Leverandørnavn", "Leverandør"),
               doc="Supplier name."),
        Column("unspsc", "unspsc", required=False, aliases=("UNSPSC", "UNSPSC-kode"), blank_if_bad=True,
               doc="8-digit UNSPSC code of the item (ItemClassificationCode listID UNSPSC, or Peppol's TST)."
                   " A value that is not 8 digits is blanked and counted; the row is kept."),
        Column("description", "text", required=False, aliases=("Varebeskrivelse", "Beskrivelse", "Tekst"),
               doc="Item description."),
        Column("amount", "amount", aliases=("Beløb", "Beløb ekskl. moms", "Linjebeløb"),
               doc="Line amount excluding VAT, kr.; negative on credit notes."),
        Column("order_ref", "id", required=False, blank_if_bad=True,
               aliases=("Ordrereference", "Ordrenummer", "OrderReference"),
               doc="Buyer's order number (cac:OrderReference/cbc:ID); N/A or empty when none."),
        Column("contract", "text", required=False, aliases=("Kontraktnavn", "Kontrakt", "Aftale"),
               doc="Contract/agreement the purchase was made on (ContractDocumentReference)."),
        Column("document_type", "text", required=False, aliases=("Dokumenttype", "Bilagstype"),
               doc="Faktura or Kreditnota; when absent a document whose lines sum below zero is a credit note."),
        Column("currency", "text", required=False, aliases=("Valuta", "Valutakode"),
               doc="Currency of the amount (DocumentCurrencyCode); a line in another currency than DKK is"
                   " quarantined, never loaded as kroner."),
        Column("buyer_name", "text", required=False, aliases=("Køber", "Købernavn"),
               doc="Buyer's name on the invoice (AccountingCustomerParty PartyName); names derived units."),
        Column("buyer_id", "text", required=False, aliases=("Køber-ID", "Køber ID"),
               doc="The buyer's identifier when it is not an EAN (e.g. a CVR endpoint): the units file's"
                   " `Øvrige ID` maps it to an EAN."),
        Column("accounting_cost", "text", required=False, aliases=("Kontering", "Konteringsstreng", "AccountingCost"),
               doc="The buyer's accounting string (cbc:AccountingCost, line or document)."),
        Column("item_id", "text", required=False, aliases=("Varenummer", "Varenr", "Varekode"),
               doc="The seller's item number (SellersItemIdentification); Danish ERPs call it Varekode."),
        Column("profile_id", "text", required=False, aliases=("Profil", "ProfileID"),
               doc="The e-invoice's profile (cbc:ProfileID), e.g. Procurement-OrdSimR-BilSim-1.0."),
        Column("item_type", "text", required=False, aliases=("Varetype",),
               doc="The ERP's or e-handel system's item type or category; an eligibility rule can use it."),
        Column("art", "art", required=False, aliases=("Art", "Artskonto", "Kontoart"), blank_if_bad=True,
               doc="The account type (art) of the municipal chart of accounts the line is posted to, e.g. 2.2"
                   " (Fødevarer) or 22: an eligibility rule can use it. Without the column, an art written"
                   " as x.y in `AccountingCost` is used. A value that is not an art is blanked and counted."),
    ),
)

EHANDEL_TABLE = FileKind(
    name="ehandel_table",
    label="E-handelstabel",
    prefixes=("e-handelstabel", "ehandelstabel", "e-handelsfilter", "ehandelsfilter", "øke-handel", "oeke-handel"),
    required=False,
    doc="A single table of purchases whose e-handel flag is a column (`Ordretype`), as the KMD Insight"
        " e-handel table (Randers Kommune's \"ØKE-handelsfilter\") and the TrueLink/Mercell export behind it"
        " have it: instead of invoice lines and orders. Each `Ordretype` value is mapped to e-handel or not"
        " by `ordretyper.csv` (default: data/reference/ordretyper.csv); a value the file does not list stops"
        " the ingest until it is added. Without invoice numbers every row is a purchase of its own, so the"
        " count-based rate is switched off (every report says so) and no duplicate check is possible. Without"
        " a units file, units and their levels come from `EAN-nummer` and `EAN-niveau 1-4`.",
    key=(),
    columns=(
        *(INVOICE_LINES.column(name) for name in ("invoice_date", "amount", "supplier_name", "buyer_ean")),
        Column("order_type", "text", required=False, identifies=True, aliases=("Ordretype",),
               doc="How the purchase was made (e.g. Katalog, Punch-out, Fritekst, Ingen ordre): the e-handel"
                   " flag, through `ordretyper.csv`. A blank value is looked up as `(tom)`."),
        *(INVOICE_LINES.column(name) for name in ("item_type", "art")),
        *(Column(f"level{n}", "text", required=False, aliases=(f"EAN-niveau {n}",),
                 doc=f"Organisation level {n} of the EAN" + (": the buying unit itself (its name when there is no"
                                                             " units file)." if n == 4 else "."))
          for n in (1, 2, 3, 4)),
        INVOICE_LINES.column("contract"),
        # Optional here: a KMD table has no invoice numbers (then the count-based rate is switched off).
        replace(INVOICE_LINES.column("invoice_no"), required=False),
        replace(INVOICE_LINES.column("line_no"), required=False),
        replace(INVOICE_LINES.column("supplier_cvr"), blank_if_bad=True),
        *(INVOICE_LINES.column(name) for name in ("unspsc", "description")),
    ),
)

ORDERS = FileKind(
    name="orders",
    label="E-handelsordrer",
    prefixes=("ordrer", "orders", "ehandelsordrer"),
    required=False,
    doc="Orders placed through the municipality's e-handel system (e-catalogue or punch-out). Without"
        " them no invoice can be e-handel, and the ingest warns that every rate is 0 %.",
    key=("order_id", "buyer_ean", "supplier_cvr", "line_no"),
    columns=(
        Column("order_id", "id", aliases=("Ordrenummer", "Ordre-ID", "Ordrenr"),
               doc="Order number; an invoice that quotes it, from the same buyer and supplier, is e-handel (the"
                   " same number may recur for other buyers or suppliers: order numbers are not unique across"
                   " e-handel systems)."),
        Column("order_date", "date", aliases=("Ordredato",), doc="Order date."),
        Column("buyer_ean", "ean", aliases=("EAN-nummer", "EAN"), doc="Ordering unit's EAN."),
        Column("buyer_id", "text", required=False, aliases=("Køber-ID", "Køber ID"),
               doc="The buyer's identifier when it is not an EAN (an Order XML addressed by CVR): the units"
                   " file's `Øvrige ID` maps it to an EAN."),
        Column("supplier_cvr", "cvr", required=False, aliases=("Leverandør CVR", "CVR-nummer", "CVR"),
               doc="Supplier CVR; when given, an invoice must come from it to match (an Order XML may name the"
                   " seller by GLN only)."),
        Column("amount", "amount", aliases=("Beløb", "Ordrebeløb"), doc="Order amount excl. VAT, kr."),
        Column("order_type", "text", required=False, aliases=("Ordretype",),
               doc="How the order was placed: e-katalog, punch-out, …"),
        Column("line_no", "int", required=False, aliases=("Ordrelinje", "Linjenummer", "Linjenr"),
               doc="The order line, in an export of order lines: an order's lines are not duplicates of each"
                   " other (without it, a repeated order number, buyer and supplier is)."),
    ),
)

CARD = FileKind(
    name="card_transactions",
    label="Indkøbskort",
    prefixes=("kort", "card", "indkoebskort", "indkøbskort"),
    required=False,
    doc="Purchase-card transactions. Never e-handel; the cardholder's name is read and discarded.",
    key=("transaction_id",),
    columns=(
        Column("transaction_id", "id", aliases=("Transaktions-ID", "Transaktionsnummer", "Bilagsnummer"),
               doc="Card transaction id, unique in the file set."),
        Column("transaction_date", "date", aliases=("Transaktionsdato", "Købsdato", "Dato"),
               doc="Purchase date."),
        Column("buyer_ean", "ean", aliases=("EAN-nummer", "EAN"), doc="EAN of the unit the card belongs to."),
        Column("merchant_name", "text", aliases=("Forretning", "Brugssted", "Leverandørnavn"),
               doc="Merchant (shop) name."),
        Column("merchant_cvr", "cvr", required=False, aliases=("CVR", "CVR-nummer"), blank_if_bad=True,
               doc="Merchant CVR when the card system knows it."),
        Column("unspsc", "unspsc", required=False, aliases=("UNSPSC", "UNSPSC-kode"), blank_if_bad=True,
               doc="UNSPSC code given when the purchase is reconciled (bilagsafstemning)."),
        Column("amount", "amount", aliases=("Beløb", "Beløb ekskl. moms"),
               doc="Amount excl. VAT, kr.; refunds negative."),
        Column("description", "text", required=False, aliases=("Tekst", "Beskrivelse", "Formål"),
               doc="Free text. Not loaded: free text may hold personal data."),
        Column("cardholder", "personal", required=False, aliases=("Kortholder", "Kortholdernavn", "Navn"),
               doc="Cardholder's name: personal data, never loaded."),
        replace(INVOICE_LINES.column("art"),
                doc="The account type (art) the purchase is posted to when it is reconciled, e.g. 2.9."),
    ),
)

CATEGORIES = FileKind(
    name="categories",
    label="Kategorier",
    prefixes=("kategorier", "categories", "unspsc"),
    required=False,
    doc="UNSPSC prefix → category, e-handel eligibility and mandatory area. Defaults to "
        "data/reference/kategorier.csv when the raw folder has none.",
    amount_column=None,
    key=("unspsc_prefix",),
    columns=(
        Column("unspsc_prefix", "text", aliases=("UNSPSC-præfiks", "UNSPSC"),
               doc="2, 4, 6 or 8 leading digits of UNSPSC; the longest matching prefix wins."),
        Column("category", "text", aliases=("Kategori",), doc="Category name (Danish)."),
        Column("eligible", "flag", aliases=("E-handelsegnet",),
               doc="ja/nej: counts in the e-handel rate's denominator."),
        Column("mandatory_area", "text", required=False, aliases=("Obligatorisk område",),
               doc="Mandatory e-handel area since 1 January 2025, empty when none."),
    ),
)

AGREEMENTS = FileKind(
    name="agreements",
    label="Aftaler",
    prefixes=("aftaler", "agreements"),
    required=False,
    doc="Purchase agreements: which supplier covers which UNSPSC prefix, and whether binding.",
    amount_column=None,
    key=("contract", "supplier_cvr", "unspsc_prefix"),
    columns=(
        Column("contract", "text", aliases=("Kontraktnavn", "Aftale"), doc="Agreement name."),
        Column("supplier_cvr", "cvr", aliases=("Leverandør CVR", "CVR"), doc="Supplier CVR."),
        Column("unspsc_prefix", "text", aliases=("UNSPSC-præfiks", "UNSPSC"), doc="Covered UNSPSC prefix."),
        Column("binding", "flag", aliases=("Forpligtende",), doc="ja/nej: a binding (forpligtende) agreement."),
        Column("valid_from", "date", aliases=("Gyldig fra",), doc="First day of validity."),
        Column("valid_to", "date", aliases=("Gyldig til",), doc="Last day of validity."),
    ),
)

ORDER_TYPES = FileKind(
    name="order_types",
    label="Ordretyper",
    prefixes=("ordretyper", "order_types"),
    required=False,
    doc="Which `Ordretype` values of a single-table export are e-handel. Defaults to"
        " data/reference/ordretyper.csv when the raw folder has none; values are compared without case.",
    amount_column=None,
    key=("order_type",),
    columns=(
        Column("order_type", "text", aliases=("Ordretype",), doc="The value as the export writes it; `(tom)` for blank."),
        Column("ehandel", "flag", aliases=("E-handel",), doc="ja/nej: a purchase of this type is e-handel."),
        Column("note", "text", required=False, aliases=("Note", "Begrundelse"), doc="Why (the legal definition)."),
    ),
)

ELIGIBILITY_RULES = FileKind(
    name="eligibility_rules",
    label="Egnethedsregler",
    prefixes=("egnethed", "eligibility"),
    required=False,
    doc="Eligibility rules for lines that `kategorier.csv` does not classify by UNSPSC. Defaults to"
        " data/reference/egnethed.csv when the raw folder has none. The first key that classifies a line"
        " wins, in this order: UNSPSC (kategorier.csv), `art` (the account type of the municipal chart of"
        " accounts, as a prefix: 2.2 covers 2.21), `leverandør` (supplier CVR), `varetype` (the item"
        " type; a Varetype that names a category of kategorier.csv takes that category), `tekst` (a word in"
        " the description). Within a key, the longest matching value wins. A line no rule covers is"
        " unclassified: not eligible, and counted as such in the ingest's warnings.",
    amount_column=None,
    key=("rule_key", "value"),
    columns=(
        Column("rule_key", "text", aliases=("Nøgle",), doc="art, leverandør, varetype or tekst."),
        Column("value", "text", aliases=("Værdi",),
               doc="An art such as 2.2 or 4 (art), a CVR number (leverandør), an item type (varetype) or a word"
                   " (tekst); compared without case."),
        Column("eligible", "flag", aliases=("E-handelsegnet",), doc="ja/nej: counts in the rate's denominator."),
        Column("category", "text", required=False, aliases=("Kategori",),
               doc="The category the line is reported under (default: the value itself)."),
        Column("note", "text", required=False, aliases=("Kilde", "Note"), doc="Source or reason of the rule."),
    ),
)

BUDGETS = FileKind(
    name="budgets",
    label="Budgetter",
    prefixes=("budgetter", "budget"),
    required=False,
    doc="The ERP's budget by cost centre (omkostningssted) and account type (art), as budgets are kept:"
        " the units' goods budgets are derived from it through `omkostningssteder…`. Rows on an art that an"
        " art rule of egnethed.csv makes eligible (2.2, 2.7, 2.9 by default) count as goods; rows on other"
        " arts are left out, and a row without an art counts whole. With a year column, the latest year is"
        " used. What went to units and what was left out, in kroner, is reconciled in `budget_reconciliation`."
        " A budget file replaces the units file's `Varebudget`.",
    key=("cost_centre", "art", "year"),
    columns=(
        Column("cost_centre", "text", aliases=("Omkostningssted", "Omk.sted", "Omkostningssted nr.", "Costcenter"),
               doc="The cost centre the budget is held on."),
        replace(INVOICE_LINES.column("art"), blank_if_bad=False,
                doc="The account type (art) of the budget row, e.g. 2.2 or 22."),
        Column("year", "int", required=False, aliases=("År", "Budgetår", "Regnskabsår"),
               doc="The budget year; the latest year in the file is used."),
        Column("amount", "amount", aliases=("Budget", "Beløb", "Budgetbeløb", "Korrigeret budget"),
               doc="The budget, kr."),
    ),
)

COST_CENTRES = FileKind(
    name="cost_centres",
    label="Omkostningssteder",
    prefixes=("omkostningssteder", "cost_centres", "costcentres"),
    required=False,
    doc="The crosswalk between cost centres and buying units (EAN): a cost centre can fund several units"
        " and a unit can draw on several cost centres. `Andel` is the share of the cost centre's budget that"
        " goes to the unit; a cost centre's shares must add up to 1 (100 %), and a cost centre whose shares"
        " are all blank is split equally over its units.",
    amount_column=None,
    key=("cost_centre", "ean"),
    columns=(
        replace(BUDGETS.column("cost_centre"), doc="The cost centre, as the budget file writes it."),
        Column("ean", "ean", aliases=("EAN-nummer", "EAN", "GLN"), doc="The unit's EAN, as in the units file."),
        Column("share", "amount", required=False, aliases=("Andel", "Fordelingsandel"),
               doc="Share of the cost centre's budget for this unit, e.g. 0,5 (decimal comma) or 0.5."),
    ),
)

FILE_KINDS: tuple[FileKind, ...] = (UNITS, INVOICE_LINES, ORDERS, EHANDEL_TABLE, CARD, CATEGORIES, AGREEMENTS,
                                    ORDER_TYPES, ELIGIBILITY_RULES, BUDGETS, COST_CENTRES)
RULE_KEYS = ("art", "leverandør", "varetype", "tekst")  # in precedence order, after UNSPSC

# Published e-handel figures to compare with (data/reference/benchmark*.csv): not a raw export, so
# not part of FILE_KINDS, but read and validated by the same machinery.
BENCHMARKS = FileKind(
    name="benchmarks",
    label="Benchmark",
    prefixes=("benchmark",),
    doc="Published e-handel rates of other municipalities or the whole country, each with its source.",
    amount_column=None,
    key=("municipality", "year", "measure"),
    columns=(
        Column("municipality", "text", aliases=("Kommune",), doc="Municipality, or e.g. 'Landsplan (62 kommuner)'."),
        Column("country", "text", required=False, aliases=("Land",), doc="DK, SE, NO, … (default DK)."),
        Column("year", "int", aliases=("År",), doc="Year the figure is for."),
        Column("measure", "text", aliases=("Mål",),
               doc="andel_kr (share of kroner) or andel_fakturaer (share of invoices/orders)."),
        Column("value", "amount", aliases=("Værdi",), doc="The rate in percent (0-100), e.g. 53 or 4,5."),
        Column("source", "text", aliases=("Kilde",), doc="Title of the publication the figure is taken from."),
        Column("url", "text", aliases=("URL", "Link"), doc="Where the source can be read (http or https)."),
        Column("read_on", "date", aliases=("Læst",), doc="Date the source was read."),
        Column("note", "text", required=False, aliases=("Note", "Bemærkning"),
               doc="How the figure is defined, where it differs from this project's definition."),
    ),
)


def normalise_header(text: str) -> str:
    """Compare headers without case, accents on ø/å aside, spaces, dashes or underscores."""
    text = unicodedata.normalize("NFC", text).strip().lstrip("\ufeff").lower()
    return re.sub(r"[\s_\-.]+", "", text)


def header_matches(kind: FileKind, headers: list[str]) -> dict[str, list[str]]:
    """Canonical column -> the file's headers that match it (its name or an alias), in file order."""
    lookup: dict[str, str] = {}
    for column in kind.columns:
        for alias in (column.name, *column.aliases):
            lookup.setdefault(normalise_header(alias), column.name)
    matches: dict[str, list[str]] = {}
    for header in headers:
        if canonical := lookup.get(normalise_header(header)):
            matches.setdefault(canonical, []).append(header)
    return matches


def _excluding_vat(headers: list[str]) -> list[str]:
    return [h for h in headers if re.search(r"ekskl|excl|uden moms|u\. moms", h, re.IGNORECASE)]


def header_map(kind: FileKind, headers: list[str]) -> dict[str, str]:
    """Map a file's headers to canonical column names; unknown headers are left out.

    When several headers match one column, an amount takes the one that says it excludes VAT
    (``Beløb`` and ``Beløb ekskl. moms``: the latter); otherwise the first is mapped here, and
    ``ambiguous_headers`` names the conflict, which the readers refuse.
    """
    mapping: dict[str, str] = {}
    for canonical, found in header_matches(kind, headers).items():
        chosen = _excluding_vat(found) if canonical == kind.amount_column and len(found) > 1 else []
        mapping[chosen[0] if len(chosen) == 1 else found[0]] = canonical
    return mapping


def ambiguous_headers(kind: FileKind, headers: list[str]) -> list[tuple[str, list[str]]]:
    """Columns that several headers match with no rule to choose between them (never picked silently)."""
    return [(canonical, found) for canonical, found in header_matches(kind, headers).items()
            if len(found) > 1 and not (canonical == kind.amount_column and len(_excluding_vat(found)) == 1)]


# KMD Insight Custom Data files name their columns by type and number in the first row (Dato1,
# Tekst1, Numerisk1, …) and by the municipality's own names in the second.
_CUSTOM_DATA_NAME = re.compile(r"(dato|tekst|numerisk|klokkeslæt)\d+|cpr|metadata")


def is_custom_data_header(headers: list[str]) -> bool:
    """A KMD Custom Data header row: technical names only (the own names follow in the next row)."""
    named = [normalise_header(h) for h in headers if h.strip()]
    return len(named) >= 3 and all(_CUSTOM_DATA_NAME.fullmatch(h) for h in named)


def custom_data_headers(technical: list[str], own: list[str]) -> list[str]:
    """A Custom Data file's headers: each column's own name, or its technical name where it has none."""
    own = own + [""] * (len(technical) - len(own))
    return [o.strip() or t for t, o in zip(technical, own)]


def kinds_for_headers(headers: list[str], kinds: tuple[FileKind, ...] | None = None) -> list[FileKind]:
    """The kinds whose required columns a header row has, the best match (most columns) first."""
    scored = []
    for kind in kinds or FILE_KINDS:
        found = set(header_map(kind, headers).values())
        if all(c.name in found for c in kind.columns if c.header_required):
            scored.append((-len(found), FILE_KINDS.index(kind) if kind in FILE_KINDS else 99, kind))
    return [kind for *_, kind in sorted(scored, key=lambda item: item[:2])]


def kind_for_file(file_name: str) -> FileKind | None:
    """The file kind whose prefix the file name starts with (case-insensitive), if any."""
    stem = file_name.lower()
    for kind in FILE_KINDS:
        if any(stem.startswith(prefix) for prefix in kind.prefixes):
            return kind
    return None


def kind_section(kind: FileKind) -> str:
    """The Markdown section of ``data/README.md`` that documents a kind (a test keeps them equal)."""
    prefixes = ", ".join(f"`{p}`" for p in kind.prefixes)
    lines = [f"### {kind.name} — file name starts with {prefixes} ({'required' if kind.required else 'optional'})",
             "", kind.doc, "", "| column | accepted headers | type | required | meaning |", "|---|---|---|---|---|"]
    for c in kind.columns:
        kind_text = c.kind + (", blanked if bad" if c.blank_if_bad else "")
        required = "yes" if c.required else "header only" if c.identifies else "no"
        lines.append(f"| `{c.name}` | {', '.join(c.aliases)} | {kind_text} | {required} | {c.doc} |")
    lines += ["", f"Key (a later duplicate is quarantined): {', '.join(kind.key)}" if kind.key
              else "No key: two equal rows are two purchases."]
    return "\n".join(lines)
