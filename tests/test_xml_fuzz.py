"""Fuzzing the e-invoice reader: mutated, truncated, hostile XML gives rows or reasons, never a
traceback, and read = loaded + quarantined holds in documents and kroner."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import EANS, examples, minimal_raw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from analysis.errors import InputError
from analysis.ingest import ingest
from analysis.ingest.einvoices import Document, open_documents
from analysis.ingest.schema import INVOICE_LINES

TEMPLATE = (Path(__file__).parent / "data" / "foreign_supplier.xml").read_text(encoding="utf-8")
VALID = TEMPLATE.format(number="F1", scheme="0184", value="16356706", name="Kontor A/S", ean=EANS[0]).encode()
HOSTILE = [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Invoice>&c;</Invoice>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Invoice>&e;</Invoice>',
    VALID.replace(b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", b"urn:example:other"),
    VALID.replace(b"120.50</cbc:LineExtensionAmount>\n    <cac:Item>", b"NaN</cbc:LineExtensionAmount>\n    <cac:Item>"),
    VALID.replace(b"Konsulentbistand", b"x" * 2_000_000),
    b"", b"\xff\xfe<\x00I\x00", VALID[: len(VALID) // 2],
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: drop an element, replace an element's text, truncate, or a hostile document."""
    choice = rng.randrange(4)
    if choice == 3:
        return rng.choice(HOSTILE)
    if choice == 2:
        return data[: rng.randrange(len(data))]
    root = etree.fromstring(data)
    elements = list(root.iter())[1:]
    element = rng.choice(elements)
    if choice == 0:
        element.getparent().remove(element)
    else:
        element.text = rng.choice(["", "-1", "1e400", "abc", "99999999999999999999.99", "0.001", "DK", "ø" * 100])
    return etree.tostring(root)


def rows_of(documents: list[bytes], folder: Path):
    paths = []
    for number, data in enumerate(documents):
        path = folder / f"d{number}.xml"
        path.write_bytes(data)
        paths.append(Document(path.name, path))
    _source, chunks = open_documents(INVOICE_LINES, paths, "fuzz", folder)
    return [row for chunk in chunks for row in chunk.to_pylist()]


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 2**32), min_size=1, max_size=5))
def test_every_mutated_document_gives_rows_or_a_reason(tmp_path_factory, seeds: list[int]) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    documents = [mutate(VALID, random.Random(seed)) for seed in seeds]
    rows = rows_of(documents, folder)
    assert {row["_file"] for row in rows} == {f"d{n}.xml" for n in range(len(documents))}  # each document counted
    for row in rows:
        if row["_error"] is None:  # a row without a reason has an amount, a finite number
            assert row["amount"] is not None and Decimal(row["amount"]).is_finite()


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 2**32), min_size=1, max_size=4))
def test_an_ingest_of_mutated_documents_reconciles_in_rows_and_kroner(tmp_path_factory, seeds: list[int]) -> None:
    raw = minimal_raw(tmp_path_factory.mktemp("raw"))
    for number, seed in enumerate(seeds):
        (raw / f"d{number}.xml").write_bytes(mutate(VALID, random.Random(seed)))
    try:
        report = ingest(raw, raw.parent / "e.duckdb")  # a reconciliation that fails raises RuntimeError
    except InputError:
        return  # a refusal with a message is a fine outcome
    xml = next(f for f in report.files if f.file == "XML-filer")
    assert xml.rows_loaded + xml.rows_quarantined == xml.rows_read
    assert xml.amount_loaded + xml.amount_quarantined == xml.amount_read
