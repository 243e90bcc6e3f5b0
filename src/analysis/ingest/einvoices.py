"""E-invoices and orders as XML documents (OIOUBL 2.01/2.02/2.1, OIOUBL 3, Peppol BIS 3): each
document's lines as rows of the ``invoice_lines`` (or ``orders``) kind, in the common shape.

The documents are UBL 2 ``Invoice``, ``CreditNote`` and ``Order`` files, one per file, in a folder
(any file name, also none: Prisme stores them without an extension) or a zip. They are read one at
a time (lxml, no DTD, no entity expansion, no network), so a year of documents never sits in memory.

The mapping, decided once for every version (data/README.md, "E-invoices as XML"):

- amount: each line's ``LineExtensionAmount`` (net of VAT in every version), never the document's
  ``TaxExclusiveAmount`` (the VAT in OIOUBL 2, the net in OIOUBL 3) or ``PayableAmount`` (with VAT);
  a credit note's lines are negated (they are written positive); an ``Invoice`` with type code 381
  is a credit note too;
- document-level ``AllowanceCharge`` (discounts, fees): a line of its own, numbered -1, -2, …, with
  the reason as its description, so the lines add up to the document's net total;
- currency: a line not in DKK is quarantined with its currency and amount (no exchange rate is
  applied), never loaded as kroner;
- buyer: the first GLN (13 digits; scheme GLN, 0088 or none) of ``AccountingCustomerParty``'s
  ``EndpointID``, its ``PartyIdentification``, then the delivery location; otherwise the endpoint
  (a CVR, say) as ``buyer_id``, which the units file can map to an EAN (``Øvrige ID``); an Order's
  ``BuyerCustomerParty`` the same way;
- supplier: the CVR of ``PartyLegalEntity`` (``DK:CVR``, ``0184`` or none, ``DK`` prefix removed),
  else ``PartyTaxScheme``, ``EndpointID``, ``PartyIdentification``; a foreign VAT number becomes
  ``supplier_id``; a CPR-registered sole trader is "CPR-registreret" (the number is never kept);
- UNSPSC: ``ItemClassificationCode`` with ``listID`` UNSPSC or Peppol's TST; the order reference:
  the line's ``OrderLineReference/OrderReference`` else the document's ``OrderReference``;
  ``AccountingCost`` (line, else document), ``SellersItemIdentification``, ``ProfileID`` and
  ``ContractDocumentReference`` are kept as columns;
- a document of another type (an application response, a catalogue) is listed and skipped; a file
  that is not well-formed, has a DOCTYPE, or lacks what a line needs is one quarantined row naming
  the file, the line in it and the reason.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import zipfile
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
from lxml import etree

from .privacy import CPR, mask
from .readers import CHUNK_ROWS, SourceFile, empty_chunk, to_table
from .schema import INVOICE_LINES, ORDERS, FileKind

UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
NS = {"cac": UBL + "CommonAggregateComponents-2", "cbc": UBL + "CommonBasicComponents-2"}
DOCUMENT_KINDS = {"Invoice": INVOICE_LINES, "CreditNote": INVOICE_LINES, "Order": ORDERS}
MAX_DOCUMENT_BYTES = 50_000_000  # one e-invoice; a larger file is quarantined unread
GLN_SCHEMES = {"", "GLN", "0088", "EAN"}
CVR_SCHEMES = {"", "DK:CVR", "0184", "DK:SE", "0198", "DK:VAT", "9902"}
CPR_SCHEMES = {"DK:CPR"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


@dataclass(frozen=True)
class Document:
    """One XML file: where it is (a path, or a member of a zip) and how messages name it."""

    label: str
    path: Path | str  # a str for a loose file: a year's hundred thousand Path objects cost seconds
    member: str | None = None


def _contents(documents: Iterable[Document]) -> Iterator[tuple[Document, bytes]]:
    """Each document with its bytes, at most MAX_DOCUMENT_BYTES + 1 of them (a longer one is
    refused by ``parse``). Every zip is opened once for all its members: opening one reads its
    whole central directory, and once per member made a zip of 8,000 documents take 128 s to
    ingest instead of 3.6 s (benchmarks/README.md)."""
    with contextlib.ExitStack() as stack:
        archives: dict[Path | str, zipfile.ZipFile] = {}
        for document in documents:
            if document.member is None:
                with open(document.path, "rb") as handle:
                    data = handle.read(MAX_DOCUMENT_BYTES + 1)
            else:
                if document.path not in archives:
                    archives[document.path] = stack.enter_context(zipfile.ZipFile(document.path))
                with archives[document.path].open(document.member) as handle:
                    data = handle.read(MAX_DOCUMENT_BYTES + 1)
            yield document, data


_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)  # declaration, processing instructions, comments
_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")


def root_name(head: bytes) -> str | None:
    """The local name of the root element of an XML file's first bytes, None when it is not XML."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        return None
    position = 0
    while match := _PROLOG.match(stripped, position):
        position = match.end()
    if start := _START.match(stripped.lstrip() if position == 0 else stripped[position:].lstrip()):
        return start.group(1).decode("ascii")  # the usual case, without a parser
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
    try:
        parser.feed(stripped)
        for _, element in parser.read_events():
            return etree.QName(element).localname
    except etree.XMLSyntaxError:
        return None
    return None


@lru_cache(maxsize=None)
def _tags(path: str) -> tuple[str, ...]:
    """A child path such as ``cac:PartyName/cbc:Name`` as its steps' tags in Clark notation."""
    return tuple("{%s}%s" % (NS[prefix], local) for prefix, local in (step.split(":") for step in path.split("/")))


def _find(element, path: str):
    """The first element at a child path (lxml's ``find`` without its path language: walking the
    children by tag is twice as fast, and a year's documents make millions of these calls)."""
    for tag in _tags(path):
        element = next(element.iterchildren(tag), None)
        if element is None:
            return None
    return element


def _findall(element, path: str) -> list:
    """Every element at a child path, in document order."""
    found = [element]
    for tag in _tags(path):
        found = [child for parent in found for child in parent.iterchildren(tag)]
    return found


def _text(element, path: str) -> str:
    found = _find(element, path)
    return (found.text or "").strip() if found is not None else ""


def _scheme(element) -> str:
    return (element.get("schemeID") or "").strip().upper()


def _gln(party) -> str:
    """The first GLN among a party's endpoint and identifications."""
    if party is None:
        return ""
    for element in [_find(party, "cbc:EndpointID"), *_findall(party, "cac:PartyIdentification/cbc:ID")]:
        if element is None:
            continue
        value = (element.text or "").strip()
        if _scheme(element) in GLN_SCHEMES and re.fullmatch(r"\d{13}", value):
            return value
    return ""


def _cvr(value: str) -> str:
    value = re.sub(r"^DK[\s:-]*", "", value.strip().upper())
    return value if re.fullmatch(r"\d{8}", value) else ""


def _party_ids(party) -> list:
    """A party's identifiers in the supplier precedence: legal entity, tax scheme, endpoint, identification."""
    return [*_findall(party, "cac:PartyLegalEntity/cbc:CompanyID"),
            *_findall(party, "cac:PartyTaxScheme/cbc:CompanyID"),
            *_findall(party, "cbc:EndpointID"), *_findall(party, "cac:PartyIdentification/cbc:ID")]


def supplier(party) -> tuple[str, str, str]:
    """(CVR, other id, name) of a supplier party."""
    if party is None:
        return "", "", ""
    name = mask(_text(party, "cac:PartyName/cbc:Name") or _text(party, "cac:PartyLegalEntity/cbc:RegistrationName"))
    other = ""
    for element in _party_ids(party):
        value, scheme = (element.text or "").strip(), _scheme(element)
        if not value:
            continue
        if scheme in CPR_SCHEMES or CPR.fullmatch(value.replace(" ", "")):
            other = other or "CPR-registreret"
            continue
        if scheme in CVR_SCHEMES and _cvr(value):
            return _cvr(value), "", name
        if scheme not in GLN_SCHEMES and re.fullmatch(r"[A-Z]{2}[0-9A-Z]{2,14}", value.upper()):
            other = other or value.upper()  # a VAT number such as SE556677889901
    return "", other, name


def _buyer_id(party) -> str:
    """A buyer's endpoint when it is not a GLN: a CVR without its prefix, or the value as written."""
    if party is None:
        return ""
    for element in [_find(party, "cbc:EndpointID"), *_findall(party, "cac:PartyIdentification/cbc:ID")]:
        if element is not None and (element.text or "").strip():
            value = element.text.strip()
            return _cvr(value) or value
    return ""


def _amount(element) -> tuple[Decimal | None, str]:
    """An amount element's value and currency."""
    if element is None:
        return None, ""
    try:
        value = Decimal((element.text or "").strip())
    except InvalidOperation:
        return None, element.get("currencyID", "")
    return (value if value.is_finite() else None), (element.get("currencyID") or "").strip().upper()


def _money(value: Decimal) -> str:
    return format(value, "f")


class _Refused(Exception):
    """A document that cannot give rows: the reason is quarantined with the file."""

    def __init__(self, reason: str, line: int = 1) -> None:
        super().__init__(reason)
        self.line = line


def parse(data: bytes):
    """The document's root element; _Refused for a file that is too large, not well-formed XML, or
    declares a DTD (entity declarations are how XML bombs and external entities get in)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _Refused(f"the file is larger than {MAX_DOCUMENT_BYTES:,} bytes, not read")
    if re.search(rb"<!DOCTYPE|<!ENTITY", data[:65536] if len(data) > 65536 else data):
        raise _Refused("declares a DOCTYPE or entities, which an e-invoice never does (refused: entity expansion)")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise _Refused(f"not well-formed XML ({error.msg})", error.lineno or 1) from None
    if root.getroottree().docinfo.doctype:
        raise _Refused("declares a DOCTYPE, which an e-invoice never does (refused: entity expansion)")
    return root


def _document_type(root) -> str:
    name = etree.QName(root)
    if name.localname == "CreditNote" or _text(root, "cbc:InvoiceTypeCode") == "381":
        return "Kreditnota"
    return "Faktura"


def invoice_rows(root) -> Iterator[dict]:
    """The rows of an Invoice or CreditNote document, one per line and per document-level allowance
    or charge; each a dict of the kind's columns as text, plus ``_line`` and ``_error``."""
    name = etree.QName(root)
    if name.namespace != UBL + name.localname + "-2":
        raise _Refused(f"the root element {name.localname} is not in the UBL namespace ({name.namespace or 'none'})",
                       root.sourceline or 1)
    document_type = _document_type(root)
    sign = Decimal(-1) if document_type == "Kreditnota" else Decimal(1)
    customer = _find(root, "cac:AccountingCustomerParty/cac:Party")
    delivery = ""
    for location in (found for delivery in root.iter(*_tags("cac:Delivery"))
                     for found in _findall(delivery, "cac:DeliveryLocation/cbc:ID")):
        if _scheme(location) in GLN_SCHEMES and re.fullmatch(r"\d{13}", (location.text or "").strip()):
            delivery = location.text.strip()
            break
    buyer_ean = _gln(customer) or delivery
    cvr, other, supplier_name = supplier(_find(root, "cac:AccountingSupplierParty/cac:Party"))
    common = {
        "invoice_no": _text(root, "cbc:ID"), "invoice_date": _text(root, "cbc:IssueDate"),
        "buyer_ean": buyer_ean, "buyer_id": "" if buyer_ean else _buyer_id(customer),
        "buyer_name": mask(_text(customer, "cac:PartyName/cbc:Name") if customer is not None else ""),
        "supplier_cvr": cvr, "supplier_id": other, "supplier_name": supplier_name,
        "contract": mask(_text(root, "cac:ContractDocumentReference/cbc:ID")),
        "document_type": document_type, "profile_id": _text(root, "cbc:ProfileID"),
    }
    document_currency = _text(root, "cbc:DocumentCurrencyCode").upper() or "DKK"
    document_order = _text(root, "cac:OrderReference/cbc:ID")
    document_cost = _text(root, "cbc:AccountingCost")
    line_tag = "cac:CreditNoteLine" if name.localname == "CreditNote" else "cac:InvoiceLine"
    lines = _findall(root, line_tag)
    if not lines:
        raise _Refused(f"has no {line_tag[4:]} element", root.sourceline or 1)
    for line in lines:
        amount, currency = _amount(_find(line, "cbc:LineExtensionAmount"))
        item = _find(line, "cac:Item")
        unspsc = ""
        if item is not None:
            for code in _findall(item, "cac:CommodityClassification/cbc:ItemClassificationCode"):
                if (code.get("listID") or "").strip().upper() in ("UNSPSC", "TST"):
                    unspsc = (code.text or "").strip()
                    break
        row = dict(common, line_no=_text(line, "cbc:ID"),
                   unspsc=unspsc,
                   description=mask(_text(item, "cbc:Description") or _text(item, "cbc:Name")) if item is not None else "",
                   item_id=_text(item, "cac:SellersItemIdentification/cbc:ID") if item is not None else "",
                   order_ref=_text(line, "cac:OrderLineReference/cac:OrderReference/cbc:ID") or document_order,
                   accounting_cost=_text(line, "cbc:AccountingCost") or document_cost)
        yield _priced(row, amount, currency or document_currency, sign, line.sourceline, "LineExtensionAmount")
    number = 0
    for charge in _findall(root, "cac:AllowanceCharge"):
        number += 1
        amount, currency = _amount(_find(charge, "cbc:Amount"))
        is_charge = _text(charge, "cbc:ChargeIndicator").lower() == "true"
        reason = mask(_text(charge, "cbc:AllowanceChargeReason"))
        row = dict(common, line_no=str(-number), unspsc="", item_id="", order_ref=document_order,
                   accounting_cost=_text(charge, "cbc:AccountingCost") or document_cost,
                   description=f"{'Gebyr' if is_charge else 'Rabat'} på dokumentniveau" + (f": {reason}" if reason else ""))
        yield _priced(row, amount, currency or document_currency, sign if is_charge else -sign, charge.sourceline,
                      "AllowanceCharge/Amount")


def _priced(row: dict, amount: Decimal | None, currency: str, sign: Decimal, line: int | None, element: str) -> dict:
    """A row with its signed amount in kroner, or the reason it cannot have one."""
    row.update(_line=line or 1, _error=None, currency=currency)
    if amount is None:
        row.update(amount=None, _error=f"{element} is missing or not a number")
    elif currency != "DKK":
        row.update(amount=None, _error=f"the amount is in {currency} ({_money(amount)} {currency}), not DKK:"
                                       " no exchange rate is applied, so it is not loaded as kroner")
    else:
        row["amount"] = _money(sign * amount)
    return row


def order_rows(root) -> Iterator[dict]:
    """The row of an Order document: its number, date, buyer, seller and net amount."""
    buyer = _find(root, "cac:BuyerCustomerParty/cac:Party")
    cvr, _other, _name = supplier(_find(root, "cac:SellerSupplierParty/cac:Party"))
    amount, currency = _amount(_find(root, "cac:AnticipatedMonetaryTotal/cbc:LineExtensionAmount"))
    if amount is None:  # the lines' net amounts
        amounts = [_amount(e) for e in _findall(root, "cac:OrderLine/cac:LineItem/cbc:LineExtensionAmount")]
        if amounts and all(a is not None for a, _ in amounts):
            amount, currency = sum((a for a, _ in amounts), Decimal(0)), amounts[0][1]
    buyer_ean = _gln(buyer)
    row = {"order_id": _text(root, "cbc:ID"), "order_date": _text(root, "cbc:IssueDate"),
           "buyer_ean": buyer_ean, "buyer_id": "" if buyer_ean else _buyer_id(buyer), "supplier_cvr": cvr,
           "order_type": "XML-ordre"}
    yield _priced(row, amount, currency or _text(root, "cbc:DocumentCurrencyCode").upper() or "DKK", Decimal(1),
                  root.sourceline, "AnticipatedMonetaryTotal/LineExtensionAmount")


PARALLEL_DOCUMENTS = 5_000  # from this many documents on, worker processes read them (starting one takes about 1 s)
BATCH_DOCUMENTS = 1_000  # documents a worker reads per task


def _add_document(kind: FileKind, document: Document, data: bytes, chunk: dict[str, list], counts: dict[str, int]
                  ) -> None:
    """A document's rows (or the one row saying why it has none) into ``chunk``, counted by type."""
    try:
        rows = list((order_rows if kind is ORDERS else invoice_rows)(parse(data)))
        counts["Order" if kind is ORDERS else rows[0].get("document_type", "Faktura")] += 1
    except _Refused as refused:
        rows = [{"_line": refused.line, "_error": str(refused)}]
        counts["refused"] += 1
    for row in rows:
        for column in kind.columns:
            value = row.get(column.name)
            chunk[column.name].append(value if value != "" else None)
        chunk["_line"].append(row["_line"])
        chunk["_error"].append(row["_error"])
        chunk["_file"].append(document.label)


def _read_batch(kind_name: str, documents: list[Document]) -> tuple[pa.Table, dict[str, int]]:
    """A worker's task: a batch of documents as one table, with the count of each document type."""
    kind = next(k for k in DOCUMENT_KINDS.values() if k.name == kind_name)
    chunk, counts = empty_chunk(kind, with_file=True), dict.fromkeys(_COUNTED, 0)
    for document, data in _contents(documents):
        _add_document(kind, document, data, chunk, counts)
    return to_table(chunk), counts


_COUNTED = {"Faktura": "invoice(s)", "Kreditnota": "credit note(s)", "Order": "order(s)", "refused": "refused"}


def _in_workers(kind: FileKind, documents: list[Document], workers: int, batch: int
                ) -> Iterator[tuple[pa.Table, dict[str, int]]]:
    """Batches of documents read by ``workers`` processes, in order; at most two batches per worker
    are pending, so the tables waiting for the ingest stay few however many documents there are.

    The workers are spawned, not forked: the ingest runs DuckDB's and its own threads meanwhile, and
    a fork copies their locks in whatever state they are.
    """
    batches = (documents[start:start + batch] for start in range(0, len(documents), batch))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque = deque()
        for part in batches:
            pending.append(pool.submit(_read_batch, kind.name, part))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def open_documents(kind: FileKind, documents: list[Document], name: str, path: Path,
                   workers: int | None = None, batch: int = BATCH_DOCUMENTS) -> tuple[SourceFile, Iterator[pa.Table]]:
    """A group of XML documents of one kind (a folder's or a zip's) as one source; every row names
    its document file. The source's notes count the documents read.

    ``workers``: processes that parse the documents (default: one per core from PARALLEL_DOCUMENTS
    documents on, else none: parsed here). A document costs about 0.4 ms of Python work (lxml calls
    for some thirty values), so a year of a large municipality's documents is CPU-bound on one core.
    """
    source = SourceFile(path, kind, {c.name: c.name for c in kind.columns}, decimal=".", name=name, format="rows")
    if workers is None:
        workers = (os.cpu_count() or 1) if len(documents) >= PARALLEL_DOCUMENTS else 0

    def chunks() -> Iterator[pa.Table]:
        counts = dict.fromkeys(_COUNTED, 0)
        if workers > 1:
            tables: list[pa.Table] = []
            for table, counted in _in_workers(kind, documents, workers, batch):
                counts.update({key: counts[key] + counted[key] for key in counts})
                tables.append(table)
                if sum(t.num_rows for t in tables) >= CHUNK_ROWS:
                    yield pa.concat_tables(tables)
                    tables = []
            if tables:
                yield pa.concat_tables(tables)
        else:
            chunk = empty_chunk(kind, with_file=True)
            for document, data in _contents(documents):
                _add_document(kind, document, data, chunk, counts)
                if len(chunk["_line"]) >= CHUNK_ROWS:
                    yield to_table(chunk)
                    chunk = empty_chunk(kind, with_file=True)
            if chunk["_line"]:
                yield to_table(chunk)
        read = ", ".join(f"{counts[key]:,} {label}" for key, label in _COUNTED.items() if counts[key])
        source.notes.append(f"{len(documents):,} XML document(s): {read}")

    return source, chunks()
