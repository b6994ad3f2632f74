"""Text that people wrote, made safe to echo into Slack."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What neither store can keep: NUL (PostgreSQL refuses it in text) and lone surrogates
# (not encodable as UTF-8: the driver raises).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
# In an identifier: control, format, surrogate, private-use and unassigned characters,
# and line or paragraph separators; any of them can forge a log line or hide a difference.
_NOT_IN_IDENTIFIERS = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def storable(text: str) -> str:
    """`text` without the characters a database cannot store (NUL, lone surrogates)."""
    return _UNSTORABLE.sub("", text)


def identifier_problem(value: str) -> str | None:
    """Why `value` is no acceptable identifier (of a conversation, a team), or None."""
    if any(unicodedata.category(ch) in _NOT_IN_IDENTIFIERS for ch in value):
        return "must not contain control or invisible characters"
    return None


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's formatting reads as control characters.

    With `<`, `>` and `&` escaped, `<!channel>`, `<@U123>` and `<https://x|y>`
    show as typed and can neither ping anyone nor disguise a link.
    """
    text = _CONTROL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ZWJ = "\u200d"


def _extends(char: str) -> bool:
    """True for a character that belongs to the one before it on screen: combining
    accents, variation selectors, emoji skin tones and tags, Hangul vowel/final jamo."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0xE0100 <= code <= 0xE01EF
        or 0x1160 <= code <= 0x11FF
        or 0xDC00 <= code <= 0xDFFF  # a stray low surrogate stays with its high half
    )


def _regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def is_grapheme_boundary(text: str, index: int) -> bool:
    """Whether `text[:index]` ends between two characters a reader sees as separate.

    A practical subset of Unicode's grapheme rules (UAX #29): enough never to split an
    accent from its letter, an emoji ZWJ sequence (👩‍💻), a flag (🇧🇬) or CR LF.
    """
    if index <= 0 or index >= len(text):
        return True
    before, after = text[index - 1], text[index]
    if _extends(after) or before == _ZWJ:
        return False
    if before == "\r" and after == "\n":
        return False
    if _regional_indicator(before) and _regional_indicator(after):
        # Flags are pairs: the cut is safe only after an even run of indicators.
        run = 0
        while index - run - 1 >= 0 and _regional_indicator(text[index - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def clip(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` characters that ends on a boundary."""
    cut = min(len(text), max(0, limit))
    while cut > 0 and not is_grapheme_boundary(text, cut):
        cut -= 1
    return text[:cut]


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending with an ellipsis when something was cut; never
    in the middle of what a reader sees as one character (see is_grapheme_boundary)."""
    if len(text) <= limit:
        return text
    return clip(text, limit - 1).rstrip() + "…"


def quote(text: str, limit: int = 500) -> str:
    """A customer's words as a Slack block quote, escaped and kept short."""
    safe = escape_mrkdwn(truncate(text.strip(), limit))
    return "\n".join("> " + line for line in safe.splitlines() or [""])
