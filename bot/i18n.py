"""Translations through gettext; English is the source language."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "surveybot"

Translate = Callable[[str], str]


def language_of(locale: str | None, fallback: str = "en") -> str:
    """'pt-BR' -> 'pt_BR'; empty -> the fallback."""
    return (locale or fallback).strip().replace("-", "_") or fallback


@lru_cache(maxsize=64)
def translator(locale: str | None) -> Translate:
    language = language_of(locale)
    languages = [language, language.split("_")[0]]
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=languages, fallback=True).gettext
