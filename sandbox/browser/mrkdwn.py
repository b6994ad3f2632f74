"""Slack's mrkdwn as the client shows it: bold, italics, strike, code, quotes, links,
user and channel mentions, and <!date^…|fallback> in the viewer's time zone."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

_TOKEN = re.compile(r"<([^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_CODE = re.compile(r"`([^`\n]+)`")
# The emoji the bot and the sandbox use, by Slack's names; any other stays :as_written:.
EMOJI = {
    "white_check_mark": "✅",
    "no_entry_sign": "🚫",
    "rotating_light": "🚨",
    "eyes": "👀",
    "tada": "🎉",
    "star2": "🌟",
    "speech_balloon": "💬",
    "arrow_up": "⬆️",
    "arrow_down": "⬇️",
    "heavy_check_mark": "✔️",
    "thumbsup": "👍",
    "+1": "👍",
    "warning": "⚠️",
}
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
# The fake's permalinks (chat.getPermalink) open the message in the sandbox instead.
_PERMALINK = re.compile(
    r"^https://fake\.slack\.com/archives/([A-Z0-9]+)/p(\d+)(\d{6})(?:\?thread_ts=([\d.]+).*)?$"
)
_DATE_TOKENS = {
    "{date_num}": "%Y-%m-%d",
    "{date}": "%B %-d, %Y",
    "{date_short}": "%b %-d, %Y",
    "{date_long}": "%A, %B %-d, %Y",
    "{date_pretty}": "%B %-d, %Y",
    "{date_short_pretty}": "%b %-d, %Y",
    "{date_long_pretty}": "%A, %B %-d, %Y",
    "{time}": "%H:%M",
    "{time_secs}": "%H:%M:%S",
}


def emoji(text: str) -> str:
    """Slack's :name: emoji as the character, where the sandbox knows it."""
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def sandbox_link(url: str) -> str:
    """Where a Slack URL goes in the sandbox: a permalink opens its message there."""
    found = _PERMALINK.match(url)
    if found is None:
        return url
    channel, seconds, micros, thread = found.groups()
    return f"/?c={channel}&t={thread or f'{seconds}.{micros}'}"


def _date(spec: str, fallback: str, tz: str) -> str:
    parts = spec.split("^")  # !date ^ timestamp ^ format [^ link]
    try:
        moment = datetime.fromtimestamp(int(parts[1]), ZoneInfo(tz))
    except (IndexError, ValueError, KeyError):
        return html.escape(fallback)
    text = parts[2] if len(parts) > 2 else ""
    for token, pattern in _DATE_TOKENS.items():
        text = text.replace(token, moment.strftime(pattern))
    return f'<time datetime="{moment.isoformat()}">{html.escape(text or fallback)}</time>'


def _token(inner: str, names: Mapping[str, str], channels: Mapping[str, str], tz: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user = target[1:]
        return f'<span class="mention">@{html.escape(names.get(user, label or user))}</span>'
    if target.startswith("#"):
        channel = target[1:]
        return (
            f'<span class="mention">#{html.escape(channels.get(channel, label or channel))}</span>'
        )
    if target.startswith("!date^"):
        return _date(target, html.unescape(label), tz)
    if target.startswith("!subteam^"):
        return f'<span class="mention">{html.escape(label or "@team")}</span>'
    if target.startswith("!"):
        return f'<span class="mention">@{html.escape(target[1:])}</span>'
    url = html.unescape(target)
    shown = html.unescape(label) if label else url
    if not re.match(r"^(https?|mailto):", url):
        return html.escape(f"<{inner}>")
    local = sandbox_link(url)
    target_attr = "" if local != url else ' target="_blank" rel="noopener"'
    return f'<a href="{html.escape(local)}"{target_attr}>{html.escape(shown)}</a>'


def _inline(text: str) -> str:
    text = emoji(text)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    text = _ITALIC.sub(r"<i>\1</i>", text)
    return _STRIKE.sub(r"<s>\1</s>", text)


def mrkdwn(
    text: str,
    *,
    names: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
    tz: str = "UTC",
) -> str:
    """HTML for a mrkdwn text as Slack sends it (&lt; &gt; &amp; escaped, <…> tokens)."""
    names, channels = names or {}, channels or {}
    tokens: list[str] = []

    def keep(match: re.Match[str]) -> str:
        tokens.append(_token(match.group(1), names, channels, tz))
        return f"\x00{len(tokens) - 1}\x00"

    marked = _TOKEN.sub(keep, text)
    lines = []
    quote: list[str] = []
    for line in marked.split("\n"):
        escaped = html.escape(html.unescape(line), quote=False)
        if escaped.startswith("&gt;"):
            quote.append(_inline(escaped[4:].lstrip()))
            continue
        if quote:
            lines.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
        lines.append(_inline(escaped))
    if quote:
        lines.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
    joined = "<br>".join(lines).replace("</blockquote><br>", "</blockquote>")
    return re.sub("\x00(\\d+)\x00", lambda m: tokens[int(m.group(1))], joined)
