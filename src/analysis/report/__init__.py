"""How the figures look (Danish labels, sentences, tables, charts) and how notebooks become documents (the build: papermill, HTML, PDF, Word, Excel)."""
