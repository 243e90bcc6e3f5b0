"""Small raw export folders for tests, written the way real exports are (Danish CSV)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb

UNIT_HEADER = ["EAN-nummer", "Navn", "EAN-niveau 1", "EAN-niveau 2", "EAN-niveau 3", "EAN-niveau 4",
               "Enhedstype", "Varebudget"]
LINE_HEADER = ["Fakturanummer", "Linjenummer", "Fakturadato", "EAN-nummer", "Leverandør CVR", "Leverandørnavn",
               "UNSPSC", "Varebeskrivelse", "Beløb", "Ordrereference", "Kontraktnavn"]
ORDER_HEADER = ["Ordrenummer", "Ordredato", "EAN-nummer", "Leverandør CVR", "Beløb"]
CARD_HEADER = ["Transaktions-ID", "Transaktionsdato", "EAN-nummer", "Forretning", "UNSPSC", "Beløb", "Kortholder"]

def examples(thorough: int) -> int:
    """Hypothesis examples for a property test: all of them in make test (and CI), a sixth in the
    editing loop (make test-fast sets FAST_TESTS), so the loop stays quick and still runs them."""
    return max(10, thorough // 6) if os.environ.get("FAST_TESTS") else thorough


EANS = ["5798009811578", "5798000416604", "5798000000018", "5798000000025", "5798000000032"]
CVR = "16356706"


def gln(body: str) -> str:
    """A 12-digit body plus its GS1 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def danish(amount: float) -> str:
    return f"{amount:,.2f}".translate(str.maketrans(",.", ".,"))


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8-sig",
              delimiter: str = ";") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def unit_row(ean: str, name: str, budget: float = 100_000, unit_type: str = "skole") -> list[object]:
    return [ean, name, "Børn og Unge", "Skoler", name, name, unit_type, danish(budget)]


def minimal_raw(folder: Path, lines: list[list[object]] | None = None, orders: list[list[object]] | None = None,
                units: list[list[object]] | None = None, cards: list[list[object]] | None = None) -> Path:
    """A raw folder with two units, an e-handel order and its invoice, and one other invoice."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "enheder.csv", UNIT_HEADER, units if units is not None else [
        unit_row(EANS[0], "Den Lille Skole", 200_000), unit_row(EANS[1], "Rådhuset", 100_000, "administration")])
    write_csv(folder / "ordrer.csv", ORDER_HEADER, orders if orders is not None else [
        ["EH-1", "02-01-2025", EANS[0], CVR, "1.000,00"]])
    write_csv(folder / "fakturalinjer.csv", LINE_HEADER, lines if lines is not None else [
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Kuglepenne", "1.000,00", "EH-1", ""],
        ["F2", 1, "15-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Kuglepenne", "3.000,00", "N/A", ""],
        ["F3", 1, "20-01-2025", EANS[1], CVR, "Kontor A/S", "80111600", "Vikar", "5.000,00", "N/A", ""],
    ])
    if cards is not None:
        write_csv(folder / "kort.csv", CARD_HEADER, cards, encoding="cp1252")
    return folder


def query(db: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, parameters or []).fetchall()
    finally:
        con.close()


def quarantine(db: Path) -> list[tuple]:
    return query(db, "SELECT file, line, column_name, value, reason FROM quarantine ORDER BY file, line")
