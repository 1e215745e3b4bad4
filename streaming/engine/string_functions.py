"""String functions of the query language reference ("String Functions") beyond the T-SQL core kept
in `scalars.py`: CONCAT_WS, NCHAR, UNICODE, SPACE, STUFF, TRANSLATE and REGEXMATCH, each as its page
(MicrosoftDocs/azure-reference-other stream-analytics-docs/<name>-azure-stream-analytics.md) says.
NULL in gives NULL out unless the page says otherwise; a value of the wrong type fails the step
(TypeError, reported by the caller with the call's position), as the other string functions do."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from streaming.engine.arguments import text_argument, whole_argument


def concat_ws(separator: Any, *values: Any) -> Any:
    """ "CONCAT_WS ignores null values during concatenation, and does not add the separator between null
    values. If CONCAT_WS receives arguments with all NULL values, it will return an empty string"."""
    if separator is None:
        return None
    join = text_argument(separator, "CONCAT_WS")
    return join.join(v if isinstance(v, str) else _scalar_text(v) for v in values if v is not None)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"CONCAT_WS() needs text or numbers, got {value!r}")
    return str(value)


def nchar(code: Any) -> Any:
    """ "Positive integer from 0 through 1114111 ... If a value outside this range is specified, NULL is
    returned"."""
    if code is None:
        return None
    number = whole_argument(code, "NCHAR")
    return chr(number) if 0 <= number <= 0x10FFFF else None


def unicode(value: Any) -> Any:
    """The code of the first character ("If more than one character is provided, only the first one is
    considered"); NULL for NULL or empty text."""
    if value is None:
        return None
    text = text_argument(value, "UNICODE")
    return ord(text[0]) if text else None


def space(count: Any) -> Any:
    """ "If integer_expression is negative, a null string is returned"."""
    if count is None:
        return None
    number = whole_argument(count, "SPACE")
    return None if number < 0 else " " * number


def stuff(value: Any, start: Any, length: Any, inserted: Any) -> Any:
    """Delete `length` characters at 1-based `start`, insert `inserted` there. The page: start below 1
    begins at the first character; start past the end gives a zero-length result; a negative length is
    an error; start + length past the end deletes every character from start."""
    if value is None or start is None or length is None:
        return None
    text = text_argument(value, "STUFF")
    first, count = whole_argument(start, "STUFF"), whole_argument(length, "STUFF")
    if count < 0:
        raise TypeError(f"STUFF() length must not be negative, got {count}")
    if first > len(text):
        return ""
    insert = "" if inserted is None else text_argument(inserted, "STUFF")
    begin = max(first, 1) - 1
    return text[:begin] + insert + text[begin + count :]


def translate(value: Any, characters: Any, translations: Any) -> Any:
    """Each character of `characters` becomes the one at its position in `translations`, once ("does not
    replace any individual character in inputString more than once"); different lengths are an error."""
    if value is None or characters is None or translations is None:
        return None
    source = text_argument(characters, "TRANSLATE")
    target = text_argument(translations, "TRANSLATE")
    if len(source) != len(target):
        raise TypeError(
            f"TRANSLATE() needs characters and translations of one length, got {len(source)} and {len(target)}"
        )
    return text_argument(value, "TRANSLATE").translate(str.maketrans(source, target))


def regexmatch(value: Any, pattern: Any) -> Any:
    """The 1-based position of the pattern's first match, 0 when none; "single-line, case-insensitive,
    ECMAScript compatible"; NULL for a NULL argument; "If pattern is invalid regular expression,
    REGEXMATCH returns 0". Python's `re` stands in for ECMAScript (the common syntax is the same)."""
    if value is None or pattern is None:
        return None
    regex = _compiled(text_argument(pattern, "REGEXMATCH"))
    if regex is None:
        return 0
    found = regex.search(text_argument(value, "REGEXMATCH"))
    return found.start() + 1 if found else 0


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return None


FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "concat_ws": (concat_ws, 2, 64),
    "nchar": (nchar, 1, 1),
    "unicode": (unicode, 1, 1),
    "space": (space, 1, 1),
    "stuff": (stuff, 4, 4),
    "translate": (translate, 3, 3),
    "regexmatch": (regexmatch, 2, 2),
}
"""name -> (function, fewest arguments, most arguments), as `scalars.SCALARS`."""
