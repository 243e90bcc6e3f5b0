"""Write a raw folder's invoice lines as OIOUBL 2.02 XML documents, one file per invoice or credit
note, in the form of the official samples (../shared/realdata/oioubl-2.02): the synthetic
municipality as an ERP stores its received e-invoices. Tests check that both forms give the same
rates to the øre, and the XML benchmark reads what this writes.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

XML_FOLDER = "e-fakturaer"
_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"'
         ' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"'
         ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
         '\t<cbc:UBLVersionID>2.0</cbc:UBLVersionID>\n\t<cbc:CustomizationID>OIOUBL-2.02</cbc:CustomizationID>\n'
         '\t<cbc:ProfileID schemeAgencyID="320" schemeID="urn:oioubl:id:profileid-1.2">Procurement-BilSim-1.0</cbc:ProfileID>\n'
         '\t<cbc:ID>{number}</cbc:ID>\n\t<cbc:IssueDate>{date}</cbc:IssueDate>\n{type_code}'
         '\t<cbc:DocumentCurrencyCode>DKK</cbc:DocumentCurrencyCode>\n{order}{contract}'
         '\t<cac:AccountingSupplierParty><cac:Party>\n'
         '\t\t<cbc:EndpointID schemeID="DK:CVR">DK{cvr}</cbc:EndpointID>\n'
         '\t\t<cac:PartyName><cbc:Name>{supplier}</cbc:Name></cac:PartyName>\n'
         '\t\t<cac:PartyLegalEntity><cbc:RegistrationName>{supplier}</cbc:RegistrationName>'
         '<cbc:CompanyID schemeID="DK:CVR">DK{cvr}</cbc:CompanyID></cac:PartyLegalEntity>\n'
         '\t</cac:Party></cac:AccountingSupplierParty>\n'
         '\t<cac:AccountingCustomerParty><cac:Party>\n'
         '\t\t<cbc:EndpointID schemeAgencyID="9" schemeID="GLN">{ean}</cbc:EndpointID>\n'
         '\t</cac:Party></cac:AccountingCustomerParty>\n'
         '\t<cac:LegalMonetaryTotal>\n\t\t<cbc:LineExtensionAmount currencyID="DKK">{total}</cbc:LineExtensionAmount>\n'
         '\t\t<cbc:TaxExclusiveAmount currencyID="DKK">{vat}</cbc:TaxExclusiveAmount>\n'
         '\t\t<cbc:PayableAmount currencyID="DKK">{payable}</cbc:PayableAmount>\n\t</cac:LegalMonetaryTotal>\n')
_LINE = ('\t<cac:{root}Line>\n\t\t<cbc:ID>{line}</cbc:ID>\n'
         '\t\t<cbc:LineExtensionAmount currencyID="DKK">{amount}</cbc:LineExtensionAmount>\n'
         '\t\t<cac:Item>\n\t\t\t<cbc:Description>{description}</cbc:Description>\n{unspsc}'
         '\t\t</cac:Item>\n\t</cac:{root}Line>\n')


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


def document_xml(lines: pd.DataFrame) -> str:
    """One invoice or credit note (the lines of one document, as the CSV export has them)."""
    first = lines.iloc[0]
    credit = first["Dokumenttype"] == "Kreditnota"
    root = "CreditNote" if credit else "Invoice"
    sign = -1 if credit else 1  # a credit note's lines are written positive
    amounts = [sign * _amount(a) for a in lines["Beløb"]]
    total = sum(amounts, Decimal(0))
    day, month, year = first["Fakturadato"].split("-")
    order = first["Ordrereference"] or ""
    body = [_HEAD.format(
        root=root, number=escape(first["Fakturanummer"]), date=f"{year}-{month}-{day}",
        type_code="" if credit else '\t<cbc:InvoiceTypeCode listAgencyID="320" listID="urn:oioubl:codelist:'
                                    'invoicetypecode-1.1">380</cbc:InvoiceTypeCode>\n',
        order=f"\t<cac:OrderReference><cbc:ID>{escape(order)}</cbc:ID></cac:OrderReference>\n" if order else "",
        contract=(f"\t<cac:ContractDocumentReference><cbc:ID>{escape(first['Kontraktnavn'])}</cbc:ID>"
                  "</cac:ContractDocumentReference>\n") if first["Kontraktnavn"] else "",
        cvr=first["Leverandør CVR"], supplier=escape(first["Leverandørnavn"]), ean=first["EAN-nummer"],
        total=f"{total:.2f}", vat=f"{total / 4:.2f}", payable=f"{total * 5 / 4:.2f}")]
    for (_, line), amount in zip(lines.iterrows(), amounts):
        unspsc = (f'\t\t\t<cac:CommodityClassification><cbc:ItemClassificationCode listID="UNSPSC"'
                  f' listAgencyID="113">{line["UNSPSC"]}</cbc:ItemClassificationCode></cac:CommodityClassification>\n'
                  if line["UNSPSC"] else "")
        body.append(_LINE.format(root=root, line=line["Linjenummer"], amount=f"{amount:.2f}",
                                 description=escape(line["Varebeskrivelse"]), unspsc=unspsc))
    body.append(f"</{root}>\n")
    return "".join(body)


def write_oioubl(raw_dir: Path, limit: int | None = None) -> int:
    """Replace the ``fakturalinjer*.csv`` files of a raw folder by one OIOUBL 2.02 file per document
    in ``raw_dir/e-fakturaer/`` (at most ``limit`` documents); returns the number written."""
    raw_dir = Path(raw_dir)
    folder = raw_dir / XML_FOLDER
    folder.mkdir(exist_ok=True)
    written = 0
    for path in sorted(raw_dir.glob("fakturalinjer*.csv")):
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for (cvr, number, _kind), lines in frame.groupby(["Leverandør CVR", "Fakturanummer", "Dokumenttype"],
                                                          sort=False):
            if limit is not None and written >= limit:
                break
            (folder / f"{cvr}_{number}.xml").write_text(document_xml(lines), encoding="utf-8")
            written += 1
        path.unlink()
    return written
