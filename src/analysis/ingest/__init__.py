"""Raw exports → a validated DuckDB file.

``schema`` says what the import format is (file kinds, columns, header aliases); ``readers`` opens
CSV and Parquet files; ``csv_text`` gives DuckDB a CSV file's text in one encoding; ``relations``
reads each source into one shape; ``checks`` parses, checks and quarantines a kind's rows in one
pass; ``load`` runs the ingest (discover, load each kind, reconcile, replace).
"""

from .load import ORDER_MATCHES, IngestReport, discover, format_problem, ingest, read_reference

__all__ = ["ORDER_MATCHES", "IngestReport", "discover", "format_problem", "ingest", "read_reference"]
