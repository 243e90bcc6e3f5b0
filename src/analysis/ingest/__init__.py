"""Raw exports → a validated DuckDB file.

``schema`` says what the import format is (file kinds, columns, header aliases); ``readers`` opens
CSV and Parquet files; ``csv_text`` gives DuckDB a CSV file's text in one encoding; ``relations``
reads each source into one shape; ``checks`` parses, checks and quarantines a kind's rows in one
pass; ``model`` derives the tables that need every kind; ``load`` runs the ingest (discover, load
each kind, reconcile, replace) and ``results`` says what it did.
"""

from .discover import discover
from .load import format_problem, ingest, read_reference
from .model import ORDER_MATCHES
from .results import IngestReport

__all__ = ["ORDER_MATCHES", "IngestReport", "discover", "format_problem", "ingest", "read_reference"]
