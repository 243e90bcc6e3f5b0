"""Write a raw folder's invoice lines and orders as the KMD Insight e-handel table, the way
TrueLink/Mercell deliver it: a zip holding one cp1252 ``;`` CSV with every field guarded as
``="…"``, KMD's Custom Data header (technical names in row 1, own names in row 2), the e-handel flag
as ``Ordretype`` and the category as ``Varetype``, and no invoice or line numbers. Tests check that
this form gives the same kroner rates as the CSV form, to the øre.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from ..paths import DEFAULT_CATEGORIES

TABLE_ZIP = "e-handelstabel-truelink.zip"
# Randers Kommune's "ØKE-handelsfilter" (../shared/realdata/kmd-insight): technical and own names.
COLUMNS = [("Metadata", ""), ("Dato1", "Fakturadato"), ("Numerisk1", "Beløb"), ("Tekst1", "Leverandørnavn"),
           ("Tekst2", "EAN-niveau 1"), ("Tekst3", "Varetype"), ("Tekst4", "Ordretype"), ("Tekst5", "EAN-nummer"),
           ("Tekst6", "EAN-niveau 2"), ("Tekst7", "EAN-niveau 3"), ("Tekst8", "EAN-niveau 4"),
           ("Tekst9", "Kontraktnavn")]
NO_ORDER = "Ingen ordre"


def _read(paths: list[Path]) -> pd.DataFrame:
    return pd.concat([pd.read_csv(p, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
                      for p in paths], ignore_index=True)


def _category(prefixes: pd.DataFrame, code: str) -> str:
    """The category of the longest matching UNSPSC prefix, blank for a code kategorier.csv lacks."""
    matches = prefixes[[code.startswith(p) for p in prefixes["UNSPSC-præfiks"]]] if code else prefixes.iloc[:0]
    if matches.empty:
        return ""
    return matches.loc[matches["UNSPSC-præfiks"].str.len().idxmax(), "Kategori"]


def _guard(field: str) -> str:
    return '="' + field.replace('"', '""') + '"'


def write_kmd_table(raw_dir: Path) -> int:
    """Replace the ``fakturalinjer*`` and ``ordrer*`` files of a raw folder by the KMD table in
    ``raw_dir/TABLE_ZIP``; returns its number of rows."""
    raw_dir = Path(raw_dir)
    line_files, order_files = sorted(raw_dir.glob("fakturalinjer*.csv")), sorted(raw_dir.glob("ordrer*.csv"))
    lines, orders = _read(line_files), _read(order_files)
    units = pd.read_csv(raw_dir / "enheder.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    categories = pd.read_csv(DEFAULT_CATEGORIES, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    order_types = dict(zip(orders["Ordrenummer"], orders["Ordretype"]))
    levels = units.set_index("EAN-nummer")
    item_types = {code: _category(categories, code) for code in lines["UNSPSC"].unique()}
    rows = [[technical for technical, _ in COLUMNS], [own or "1" for _, own in COLUMNS]]
    for line in lines.to_dict("records"):
        ean = line["EAN-nummer"]
        level = [levels.at[ean, f"EAN-niveau {n}"] if ean in levels.index else "" for n in (1, 2, 3, 4)]
        rows.append(["", line["Fakturadato"], line["Beløb"], line["Leverandørnavn"], level[0],
                     item_types[line["UNSPSC"]], order_types.get(line["Ordrereference"], NO_ORDER),
                     ean, level[1], level[2], level[3], line["Kontraktnavn"]])
    text = "".join(";".join(_guard(field) for field in row) + "\r\n" for row in rows)
    with zipfile.ZipFile(raw_dir / TABLE_ZIP, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OEKE-handelsfilter.csv", text.encode("cp1252"))
    for path in line_files + order_files:
        path.unlink()
    return len(rows) - 2
