"""What a service says when it cannot use what it was given.

One type, :class:`InputError`: a message in plain words for the person, the form field it is
about (when there is one) and the HTTP status of the page that shows it. A :class:`Conflict` is
the kind where someone else changed the same thing since the page was shown. The services' own
errors are subclasses; ``errors.py`` has the one handler that answers with them, after the
request's unit of work was rolled back (``database.py``). Nothing here knows about Flask.
"""

from __future__ import annotations


class InputError(ValueError):
    """This input cannot be used; nothing of the request that sent it is written."""

    status = 422

    def __init__(self, message: str, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class Conflict(InputError):
    """Someone else changed this since the page was shown: theirs stands."""

    status = 409

    def __init__(self, message: str = "Someone else changed this at the same moment.",
                 field: str | None = None, status: int | None = None):
        super().__init__(message, field, status)
