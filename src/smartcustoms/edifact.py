"""UN/EDIFACT segments read with pydifact, for every message we read (CUSDEC, PAXLST, PNRGOV)."""

import warnings

from pydifact.exceptions import EDISyntaxError, MissingImplementationWarning
from pydifact.exceptions import ValidationError as EdifactValidationError
from pydifact.parser import Parser
from pydifact.segments import Segment, SegmentFactory

# what pydifact raises on a broken interchange
PARSE_ERRORS = (EDISyntaxError, EdifactValidationError, ValueError, IndexError, TypeError, AttributeError,
                AssertionError, KeyError)


class SegmentError(ValueError):
    """pydifact could not read segment ``position`` (1-based); ``reason`` is its words, ``unexpected_end`` whether
    the text ended inside a segment."""

    def __init__(self, reason: str, position: int):
        super().__init__(reason)
        self.reason = reason
        self.position = position
        self.unexpected_end = "Unexpected end" in reason


class _Factory(SegmentFactory):
    """pydifact's factory without directory validation (its service directories are not shipped)."""

    @staticmethod
    def create_segment(name, *elements, validate=True, version="4", directory=""):
        return SegmentFactory.create_segment(name, *elements, validate=False, version=version,
                                             directory=directory)


def read_segments(text: str) -> list[Segment]:
    """The segments of an interchange, one by one so that a failure knows where it happened (SegmentError)."""
    segments: list[Segment] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingImplementationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            for segment in Parser(factory=_Factory()).parse(text):
                segments.append(segment)  # noqa: PERF402
        except PARSE_ERRORS as exc:
            raise SegmentError(str(exc).removeprefix("EDIFACT Syntax Error: ").strip(), len(segments) + 1) from exc
    return segments
