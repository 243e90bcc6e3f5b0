"""E-handel analysis for Danish municipalities: ingest, rates, penalty, benchmark and briefings."""

__version__ = "0.1.0"
