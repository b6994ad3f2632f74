"""Customer-facing texts in the customer's language; English is the source language.

Translations live only in the gettext catalogues `bot/locale/<language>/LC_MESSAGES/
surveybot.po`. They are compiled in memory the first time a language is used, so a clean
clone needs no build step and no compiled file can go stale.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "surveybot"
SOURCE_LANGUAGE = "en"

# The shipped catalogues, by directory name under LOCALE_DIR (English needs none).
LANGUAGES: tuple[str, ...] = (
    "en",
    "it",
    "pl",
    "zh_Hans",
    "bg",
    "es",
    "fr",
    "de",
    "pt_BR",
    "ja",
    "nl",
)

# A language we ship in one variant only reads that variant: pt-PT gets Brazilian
# Portuguese and zh-TW Simplified Chinese rather than English.
_VARIANT_OF: dict[str, str] = {"pt": "pt_BR", "zh": "zh_Hans"}
_BY_LOWER: dict[str, str] = {name.lower(): name for name in LANGUAGES}
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")

Translate = Callable[[str], str]
TranslatePlural = Callable[[str, str, int], str]
Number = int | float | Decimal


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined; it is translated where it is shown."""
    return message


def shipped_language(locale: str | None) -> str | None:
    """The catalogue for a locale ('en-US', 'pt_PT', 'zh-Hant-TW', 'de_DE.UTF-8'), or None."""
    if not locale:
        return None
    tag = re.split(r"[.@]", locale.strip(), maxsplit=1)[0].replace("-", "_").lower()
    parts = [part for part in tag.split("_") if part]
    if not parts or not _LANGUAGE_CODE.match(parts[0]):
        return None
    return _BY_LOWER.get("_".join(parts)) or _BY_LOWER.get(parts[0]) or _VARIANT_OF.get(parts[0])


def resolve_language(*candidates: str | None) -> str:
    """The first candidate we ship a catalogue for (webhook locale, Slack locale, team
    language, ...); English when none is."""
    for candidate in candidates:
        language = shipped_language(candidate)
        if language:
            return language
    return SOURCE_LANGUAGE


def chosen_locale(*candidates: str | None) -> str:
    """The first candidate we ship a catalogue for, as given ('es-MX' keeps Mexican
    number formats), else English: what a survey stores to speak to its customer later."""
    for candidate in candidates:
        if candidate and shipped_language(candidate):
            tag = candidate.strip()
            # Survey.locale holds 16 characters; a longer tag keeps only its language.
            return tag if len(tag) <= 16 else resolve_language(tag)
    return SOURCE_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a shipped language (see resolve_language)."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    # Fuzzy entries are a translator's unreviewed guess: English is better than a wrong text.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translator(locale: str | None) -> Translate:
    return translations(resolve_language(locale)).gettext


def plural_translator(locale: str | None) -> TranslatePlural:
    """ngettext for the locale: call it `ngettext` so that extraction finds its texts."""
    return translations(resolve_language(locale)).ngettext


# --- numbers and dates, written the way the customer's language writes them ----------


def formatting_locale(locale: str | None) -> Locale:
    """The Babel locale for formatting: the locale itself when its texts are in the same
    language and script (es-MX keeps Mexican conventions), else the shipped language's."""
    shipped = Locale.parse(resolve_language(locale))
    if not locale:
        return shipped
    tag = re.split(r"[.@]", locale.strip(), maxsplit=1)[0].replace("-", "_")
    try:
        own = Locale.parse(tag)
    except (ValueError, TypeError, UnknownLocaleError):
        return shipped
    same_script = shipped.script is None or own.script == shipped.script
    return own if own.language == shipped.language and same_script else shipped


def format_number(value: Number, locale: str | None, *, decimals: int | None = None) -> str:
    """1234.5 -> '1,234.5' in English, '1.234,5' in German; `decimals` fixes the digits
    after the separator (5.25 with 1 -> '5.3', '5,3')."""
    if decimals is None:
        return numbers.format_decimal(value, locale=formatting_locale(locale))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return numbers.format_decimal(value, format=pattern, locale=formatting_locale(locale))


def format_percent(value: Number, locale: str | None, *, up_to_decimals: int = 0) -> str:
    """A fraction as a percentage: 0.82 -> '82%' in English, '82 %' in French; with
    `up_to_decimals` 0.825 -> '82.5%', '82,5 %', and 0.82 stays '82%'."""
    rounded = Decimal(str(round(float(value) * 100, up_to_decimals))) / 100
    return numbers.format_percent(
        rounded, locale=formatting_locale(locale), decimal_quantization=False
    )


def format_currency(amount: Number, currency: str, locale: str | None) -> str:
    """950 EUR -> '€950.00' in English, '950,00 €' in German."""
    return numbers.format_currency(amount, currency, locale=formatting_locale(locale))


def format_money(amount: Number, currency: str, locale: str | None) -> str:
    """Like format_currency, without cents on a whole amount: '€570', '570 €', '€11.40'."""
    cents = round(float(amount), 2)
    if not cents.is_integer():
        return format_currency(cents, currency, locale)
    where = formatting_locale(locale)
    pattern = where.currency_formats["standard"].pattern
    whole = re.sub(r"\.0+", "", pattern)
    return numbers.format_currency(
        int(cents), currency, format=whole, locale=where, currency_digits=False
    )


def is_currency(code: str) -> bool:
    """An ISO 4217 code Babel knows ('EUR', 'JPY')."""
    return code in numbers.list_currencies()


def format_date(day: date | datetime, locale: str | None, length: str = "medium") -> str:
    """A calendar date ('Nov 23, 2026', '23.11.2026'); length is short, medium, long or full."""
    return dates.format_date(day, format=length, locale=formatting_locale(locale))


def format_day_month(day: date, locale: str | None) -> str:
    """A day without its year, as the language writes it: 'Nov 23', '23 lis', '11月23日'."""
    return dates.format_skeleton("MMMd", day, locale=formatting_locale(locale))


def format_days(first: date, last: date, locale: str | None) -> str:
    """A run of days: 'Nov 16 – 22, 2026', '16–22 lis 2026', '2026年11月16日～22日'."""
    return dates.format_interval(first, last, "yMMMd", locale=formatting_locale(locale))
