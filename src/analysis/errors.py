"""Errors the user can fix. The CLI prints their message and exits with status 2, no traceback."""


class AnalysisError(Exception):
    """Base class: a problem in the input, the parameters or a notebook, explained in the message."""


class InputError(AnalysisError):
    """A raw file (or the set of files) cannot be used: it stops the ingest."""


class DatabaseError(AnalysisError):
    """The database file is missing or was not built by ``analysis ingest``."""


class ParameterError(AnalysisError, ValueError):
    """A parameter that cannot be used (unknown year, level out of range, …). ``danish``: the same
    refusal for a reader of the scenario explorer, where one is written (the message is English)."""

    def __init__(self, message: str, danish: str | None = None) -> None:
        super().__init__(message)
        self.danish = danish


class BuildError(AnalysisError):
    """A notebook failed during a build: names the notebook, the cell and the error."""
