"""Reading an UN/EDIFACT interchange into messages, for PAXLST and PNRGOV.

pydifact's segment reader tokenises the text; the envelope (UNA, UNB..UNZ, optional UNG..UNE groups, UNH..UNT
messages) is checked here, because pydifact's own message splitting fails when functional groups are present.
Every failure is an :class:`EdifactError` naming the segment (its position, 1-based, and tag) and the reason.
"""

from dataclasses import dataclass, field

from pydifact.control import Characters
from pydifact.segments import Segment

from smartcustoms.edifact import SegmentError
from smartcustoms.edifact import read_segments as parse_segments


class EdifactError(ValueError):
    """The interchange cannot be read; ``position`` is the segment's number (1-based), ``tag`` its tag."""

    def __init__(self, reason: str, position: int | None = None, tag: str | None = None):
        where = f"segment {position}" + (f" ({tag})" if tag else "") if position else "interchange"
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.position = position
        self.tag = tag


@dataclass
class Message:
    """One UNH..UNT message: its type (PAXLST, PNRGOV), reference, and its segments with their positions."""

    type: str
    reference: str
    version: str
    position: int
    segments: list[tuple[int, Segment]] = field(default_factory=list)
    group: str | None = None  # the UNG group reference, when the message sits in one


@dataclass
class Interchange:
    sender: str
    recipient: str
    reference: str
    prepared: str
    messages: list[Message]


def element(segment: Segment, index: int, component: int | None = None) -> str:
    """Element ``index`` of a segment (its ``component`` when given), stripped; "" when absent."""
    value = segment.elements[index] if index < len(segment.elements) else ""
    if isinstance(value, list):
        if component is None:
            return ":".join(part or "" for part in value).strip(":").strip()
        return (value[component] or "").strip() if component < len(value) else ""
    if component not in (None, 0):
        return ""
    return (value or "").strip()


def components(segment: Segment, index: int) -> list[str]:
    value = segment.elements[index] if index < len(segment.elements) else ""
    if isinstance(value, list):
        return [(part or "").strip() for part in value]
    return [(value or "").strip()]


def _tidy(text: str, terminator: str, escape: str) -> str:
    """Drop the spaces and line breaks airlines put between segments (after a terminator, or after UNA)."""
    out: list[str] = []
    i, n = 0, len(text)
    if text.startswith("UNA"):
        out.append(text[:9])
        i = 9
        while i < n and text[i] in " \t\r\n":
            i += 1
    while i < n:
        c = text[i]
        out.append(c)
        i += 1
        if c == escape and i < n:
            out.append(text[i])
            i += 1
        elif c == terminator:
            while i < n and text[i] in " \t\r\n":
                i += 1
    return "".join(out)


def read_segments(text: str) -> list[Segment]:
    """The interchange's segments, UNA included when present. Leading spaces, line breaks and a byte order mark
    are tolerated; a UNA elsewhere than first, an empty file or a segment not closed are errors."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        raise EdifactError("the file is empty: not an EDIFACT interchange")
    if not text.startswith(("UNA", "UNB")):
        raise EdifactError(f"not an EDIFACT interchange: expected UNA or UNB, found {text[:3]!r}", 1, text[:3])
    if text.startswith("UNA"):
        if len(text) < 9:
            raise EdifactError("UNA must give six service characters", 1, "UNA")
        chars = text[3:9]
        if len(set(chars[:2] + chars[3:])) < 5 or any(c.isalnum() for c in chars[:2] + chars[5]):
            raise EdifactError(f"bad separators in UNA {chars!r}: the component, element and segment separators "
                               f"must be distinct non-alphanumeric characters", 1, "UNA")
        terminator = chars[5]
    else:
        terminator = Characters().segment_terminator
    if terminator not in (text[9:] if text.startswith("UNA") else text):
        raise EdifactError(f"no segment terminator {terminator!r} in the file: wrong separators?", 1, text[:3])
    text = _tidy(text, terminator, text[6] if text.startswith("UNA") else Characters().escape_character)
    try:
        segments = parse_segments(text)
    except SegmentError as exc:
        reason = ("unexpected end of input: the last segment is not closed by a segment terminator"
                  if exc.unexpected_end else exc.reason)
        raise EdifactError(f"syntax error: {reason}", exc.position) from exc
    for position, segment in enumerate(segments, start=1):
        tag = segment.tag.strip() if isinstance(segment.tag, str) else ""
        if len(tag) != 3 or not tag.isalnum() or not tag.isupper():
            raise EdifactError(f"{tag[:20]!r} is not a segment tag: wrong separators or a broken segment",
                               position, tag[:20] or None)
        if tag == "UNA" and position != 1:
            raise EdifactError("UNA is only allowed as the first segment", position, "UNA")
        segment.tag = tag
    return segments


def read_interchange(text: str) -> Interchange:
    """Check the envelope and split the interchange into its messages (UNG..UNE groups allowed)."""
    segments = read_segments(text)
    first = 1 if segments[0].tag == "UNA" else 0
    if len(segments) <= first or segments[first].tag != "UNB":
        found = segments[first].tag if len(segments) > first else "end of file"
        raise EdifactError(f"expected the UNB interchange header, found {found}", first + 1, found)
    unb = segments[first]
    sender, recipient = element(unb, 1, 0), element(unb, 2, 0)
    prepared = " ".join(components(unb, 3))
    reference = element(unb, 4)
    if not reference:
        raise EdifactError("UNB has no interchange control reference (element 5)", first + 1, "UNB")
    messages: list[Message] = []
    current: Message | None = None
    group: tuple[int, str, int] | None = None  # position, reference, messages seen
    closed = False
    for position, segment in enumerate(segments[first + 1:], start=first + 2):
        tag = segment.tag
        if closed:
            raise EdifactError(f"{tag} after UNZ: the interchange is already closed", position, tag)
        if tag == "UNZ":
            if current is not None:
                raise EdifactError(f"message {current.reference!r} (UNH at segment {current.position}) is not "
                                   f"closed by UNT before UNZ", position, tag)
            if group is not None:
                raise EdifactError(f"group {group[1]!r} (UNG at segment {group[0]}) is not closed by UNE",
                                   position, tag)
            count = element(segment, 0)
            groups = sum(1 for s in segments if s.tag == "UNG")
            expected = groups if groups else len(messages)
            if not (count.isdigit() and int(count) == expected):
                raise EdifactError(f"interchange control count is {count!r} but the interchange holds {expected} "
                                   f"{'group' if groups else 'message'}(s)", position, tag)
            if element(segment, 1) != reference:
                raise EdifactError(f"control reference {element(segment, 1)!r} does not match UNB's {reference!r}",
                                   position, tag)
            closed = True
        elif tag == "UNG":
            if current is not None or group is not None:
                raise EdifactError("UNG inside an open message or group", position, tag)
            group = (position, element(segment, 4), 0)
        elif tag == "UNE":
            if group is None:
                raise EdifactError("UNE without UNG", position, tag)
            if current is not None:
                raise EdifactError(f"message {current.reference!r} is not closed by UNT before UNE", position, tag)
            count = element(segment, 0)
            if not (count.isdigit() and int(count) == group[2]):
                raise EdifactError(f"group control count is {count!r} but the group holds {group[2]} message(s)",
                                   position, tag)
            if element(segment, 1) != group[1]:
                raise EdifactError(f"group reference {element(segment, 1)!r} does not match UNG's {group[1]!r}",
                                   position, tag)
            group = None
        elif tag == "UNH":
            if current is not None:
                raise EdifactError(f"message {current.reference!r} (UNH at segment {current.position}) is not "
                                   f"closed by UNT before the next UNH", position, tag)
            kind = components(segment, 1)
            if not element(segment, 0) or not kind[0]:
                raise EdifactError("UNH needs a message reference and a message type", position, tag)
            version = ":".join(part for part in kind[1:3] if part)
            current = Message(kind[0].upper(), element(segment, 0), version, position, [(position, segment)],
                              group[1] if group else None)
        elif tag == "UNT":
            if current is None:
                raise EdifactError("UNT without UNH", position, tag)
            current.segments.append((position, segment))
            count = element(segment, 0)
            if not (count.isdigit() and int(count) == len(current.segments)):
                raise EdifactError(f"segment count is {count!r} but message {current.reference!r} has "
                                   f"{len(current.segments)} segments (UNH to UNT)", position, tag)
            if element(segment, 1) != current.reference:
                raise EdifactError(f"message reference {element(segment, 1)!r} does not match UNH's "
                                   f"{current.reference!r}", position, tag)
            messages.append(current)
            if group is not None:
                group = (group[0], group[1], group[2] + 1)
            current = None
        elif tag in ("UNA", "UNB"):
            raise EdifactError(f"unexpected {tag} inside the interchange", position, tag)
        else:
            if current is None:
                raise EdifactError(f"{tag} outside any UNH..UNT message", position, tag)
            current.segments.append((position, segment))
    if not closed:
        last = len(segments)
        if current is not None:
            raise EdifactError(f"message {current.reference!r} (UNH at segment {current.position}) is not closed "
                               f"by UNT: the file ends first (truncated?)", last, segments[-1].tag)
        raise EdifactError("the interchange is not closed by UNZ: the file ends first (truncated?)", last,
                           segments[-1].tag)
    if not messages:
        raise EdifactError("the interchange holds no message", first + 1, "UNB")
    return Interchange(sender, recipient, reference, prepared, messages)
