"""CPR numbers (Danish personal ids) never reach the database or a report: one definition of
what counts as one, for the XML reader (Python) and for the ingest's SQL (DuckDB).

DuckDB's regular expressions have no look-around, so the SQL form masks a CPR-like run of digits
inside a longer number too: more than needed, never less. The Python form keeps to whole numbers
(a 13-digit EAN is not a CPR number with three digits more).
"""

from __future__ import annotations

import re

CPR_PATTERN = r"(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{2}-?[0-9]{4}"  # ddmmyy-nnnn
CPR_MASK = "[CPR fjernet]"
CPR = re.compile(rf"(?<!\d){CPR_PATTERN}(?!\d)")


def mask(text: str) -> str:
    """``text`` with every CPR number replaced by the mask."""
    return CPR.sub(CPR_MASK, text) if text else text


def mask_sql(sql: str) -> str:
    """SQL: the text ``sql`` with every CPR-like number replaced by the mask."""
    return f"regexp_replace({sql}, '{CPR_PATTERN}', '{CPR_MASK}', 'g')"
