"""What a service raises when it refuses a use case: a code (the key of its words in the translation catalogues),
the field it concerns (or None), and the parameters its words need. Web and CLI turn the code into words; nobody
matches the English text."""

from enum import StrEnum


class Kind(StrEnum):
    """Which family a refusal belongs to; the web answers 422, 404, 409, 403 and 413 for them."""

    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    TOO_LARGE = "too_large"


class Refusal(ValueError):
    """A refused use case. ``str(refusal)`` is the English words (for logs and the CLI without a catalogue)."""

    def __init__(self, code: str, message: str, *, field: str | None = None, kind: Kind = Kind.INVALID,
                 **params):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.kind = Kind(kind)
        self.params = params

    def __repr__(self) -> str:
        return f"Refusal({self.code!r}, field={self.field!r}, params={self.params!r})"


class Refused(Refusal):
    """The base of a domain's family of refusals raised with their English words first: the code and the kind
    come from the class (``code_default``, ``kind_default``) unless the raise names them."""

    code_default = "refused"
    kind_default = Kind.INVALID

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 kind: Kind | None = None, **params):
        super().__init__(code or self.code_default, message, field=field, kind=kind or self.kind_default, **params)
