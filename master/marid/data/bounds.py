"""The range of integers the API accepts in paths, query parameters and control params.

Every database backend stores ids and counts in at most 64 signed bits
(SQLite refuses larger Python ints outright), so a number outside that range
can name nothing and is refused with a 400 before it reaches a query.
"""

from __future__ import annotations

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# What the schema's plain INTEGER columns (build request priority) hold on every backend.
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def in_int64(number: int) -> bool:
    return INT64_MIN <= number <= INT64_MAX


def out_of_range(name: str, text: object) -> str:
    """The message for ``name`` given ``text``, a number no id or count can be."""
    shown = str(text)
    if len(shown) > 40:
        shown = shown[:20] + "..." + shown[-10:]
    return f"{name} {shown} is out of range (at most {INT64_MAX})"


class OutOfRange(ValueError):
    """An integer that 64 signed bits cannot hold; the message is the text as given."""


def parse_int64(text: str) -> int:
    """``text``, an integer literal (space around it allowed), as an int within 64 bits.

    Raises ``OutOfRange`` for an integer beyond the range (told by its digits
    before a huge string is converted) and ``ValueError`` for anything else
    that is not an integer.
    """
    stripped = text.strip()
    digits = stripped.lstrip("+-")
    if digits.isdigit() and len(digits.lstrip("0")) > len(str(INT64_MAX)):
        raise OutOfRange(stripped)
    number = int(stripped)
    if not in_int64(number):
        raise OutOfRange(stripped)
    return number
