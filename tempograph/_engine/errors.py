"""What the engine raises: a run that cannot go on, or a message refused."""

from __future__ import annotations


class RunFailedError(Exception):
    """The run cannot go on; `kind` (an ErrorKind, or a node's own error type) becomes the
    ApplicationError type the caller sees."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = str(kind)


class RejectedError(ValueError):
    """A message (resume, state update) that cannot apply: the workflow refuses it with `kind`
    as the error's type, and the run is left exactly as it was."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = str(kind)
