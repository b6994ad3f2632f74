"""Every customer is asked in their own language: the catalogues, the locale chosen, and
every customer-facing message rendered in every shipped language within Slack's limits."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.answering.alert_blocks import AlertFacts, render_alert, render_kudos
from bot.answering.answer_blocks import (
    refusal_text,
    render_change_answer,
    render_closed,
    render_follow_up,
    render_private_answer,
    render_thank_you,
)
from bot.answering.answers import RefusalReason
from bot.answering.follow_up_form import MAX_COMMENT, FollowUpForm, validate_follow_up
from bot.delivery.survey_blocks import (
    about_helpdesk_conversation,
    about_slack_conversation,
    render_reminder,
    render_survey,
)
from bot.digest.blocks import render_agent_summary, render_good_news, render_improvement
from bot.digest.compose import Figures, compose_digest, parse_week
from bot.i18n import (
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    SOURCE_LANGUAGE,
    format_currency,
    format_date,
    format_number,
    format_percent,
    plural_translator,
    resolve_language,
    translator,
)
from bot.scales import REASONS, SCALES, Band, scale_for
from bot.teams import Team
from sandbox.blockkit import (
    MAX_BUTTON_TEXT,
    MAX_OPTION_TEXT,
    MAX_VIEW_BUTTON_TEXT,
    validate_blocks,
    validate_view,
)
from storage.digests import AgentAnswers, AlertFigures, CustomerValue, Delivery, QuotedAnswer
from storage.vocabulary import AlertStatus, SurveyKind

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
# `{score}` and `%(reference)s` are filled in by the code; `*` pairs are Slack's bold.
PLACEHOLDER = re.compile(r"\{\w*\}|%\(\w+\)[sd]")
COUNTED = (
    "Please shorten your comment: it has {count} character and the limit is {limit}.",
    "Please shorten your comment: it has {count} characters and the limit is {limit}.",
)


def read_catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def key(message: Message) -> str:
    return message.id[0] if isinstance(message.id, (tuple, list)) else message.id


def texts(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def markup(text: str) -> tuple[list[str], int]:
    return sorted(PLACEHOLDER.findall(text)), text.count("*")


def template_ids() -> set[str]:
    return {key(message) for message in read_catalog(TEMPLATE) if message.id}


# --- the catalogues --------------------------------------------------------------------


def test_the_template_is_up_to_date_with_the_code() -> None:
    """Run `make messages` when this fails: a text was added, changed or removed."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    extracted = {
        message[0] if isinstance(message, tuple) else message
        for _, _, message, _, _ in extract_from_dir(ROOT / "bot", method_map, options_map)
    }
    assert extracted == template_ids()


def test_the_shipped_languages_are_the_catalogues_in_the_repository() -> None:
    on_disk = {path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    assert on_disk == set(TRANSLATED)
    assert len(LANGUAGES) == 11


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated_with_the_same_placeholders(language: str) -> None:
    """Fails when an English text is new or changed and this language lacks it."""
    catalog = read_catalog(catalogue_path(language), language)
    expected_plurals = get_plural(language)
    assert catalog.num_plurals == expected_plurals.num_plurals
    assert catalog.plural_expr == expected_plurals.plural_expr

    problems: list[str] = []
    for wanted in sorted(template_ids()):
        message = catalog.get(wanted) or next(
            (m for m in catalog if m.id and key(m) == wanted), None
        )
        if message is None:
            problems.append(f"missing: {wanted!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {wanted!r}")
        translations = texts(message.string)
        if message.pluralizable and len(translations) != catalog.num_plurals:
            problems.append(f"{len(translations)} plural forms: {wanted!r}")
        for translation in translations:
            if not translation.strip():
                problems.append(f"untranslated: {wanted!r}")
            elif markup(translation) != markup(texts(message.id)[-1]):
                problems.append(f"placeholders or * differ: {wanted!r} -> {translation!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        ("pl", {1: "1 znak,", 2: "2 znaki,", 5: "5 znaków,", 12: "12 znaków,", 22: "22 znaki,"}),
        ("bg", {1: "1 знак,", 2: "2 знака,", 5: "5 знака,", 22: "22 знака,"}),
        ("ja", {1: "現在 1 文字", 22: "現在 22 文字"}),
    ],
)
def test_counted_texts_take_the_plural_form_of_their_language(
    language: str, forms: dict[int, str]
) -> None:
    ngettext = plural_translator(language)
    for count, expected in forms.items():
        text = ngettext(*COUNTED, count).format(count=count, limit=MAX_COMMENT)
        assert expected in text


def test_a_too_long_comment_is_refused_in_polish_with_the_right_plural() -> None:
    form = FollowUpForm(reasons=(), comment="x" * (MAX_COMMENT + 2))
    (error,) = validate_follow_up(form, band=Band.LOW, locale="pl-PL").values()
    assert f"ma {MAX_COMMENT + 2} znaki" in error and str(MAX_COMMENT) in error


# --- which language -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en-US", "en"),
        ("en-GB", "en"),
        ("ja-JP", "ja"),
        ("de-DE", "de"),
        ("de_DE.UTF-8", "de"),
        ("es-MX", "es"),
        ("es-LA", "es"),
        ("fr-CA", "fr"),
        ("it", "it"),
        ("nl-BE", "nl"),
        ("pl-PL", "pl"),
        ("bg-BG", "bg"),
        ("pt-BR", "pt_BR"),
        ("pt_br", "pt_BR"),
        ("pt-PT", "pt_BR"),
        ("pt", "pt_BR"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-TW", "zh_Hans"),
        ("zh-Hant-HK", "zh_Hans"),
        ("ko-KR", "en"),
        ("tlh", "en"),
        ("<!channel>", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_a_locale_reads_the_closest_shipped_language(locale: str | None, language: str) -> None:
    assert resolve_language(locale) == language


def test_the_first_shipped_candidate_wins() -> None:
    # webhook locale, Slack locale, team language
    assert resolve_language("pt-PT", "de-DE", "fr") == "pt_BR"
    assert resolve_language("ko-KR", "de-DE", "fr") == "de"
    assert resolve_language(None, None, "fr") == "fr"
    assert resolve_language("ko", "ru-RU", "sv") == "en"
    assert resolve_language() == "en"


def test_numbers_and_dates_are_written_the_customers_way() -> None:
    def plain(text: str) -> str:  # Babel separates with no-break spaces
        return text.replace("\xa0", " ").replace("\u202f", " ")

    assert plain(format_percent(0.82, "de-DE")) == "82 %"
    assert format_percent(0.82, "en-US") == "82%"
    assert plain(format_currency(950, "EUR", "de")) == "950,00 €"
    assert format_currency(950, "USD", "ko-KR") == "$950.00"  # English texts, English figures
    assert plain(format_number(1234.5, "fr-FR")) == "1 234,5"
    assert format_number(1234.5, "es-MX") == "1,234.5"  # Mexican conventions, not Spain's
    assert format_date(date(2026, 11, 23), "de-DE") == "23.11.2026"
    assert format_date(date(2026, 11, 23), "ja-JP") == "2026/11/23"
    assert format_date(date(2026, 11, 23), "zh-TW", "long") == "2026年11月23日"


# --- every message in every language, within Slack's limits ----------------------------


def messages_in(language: str) -> list[tuple[str, dict[str, Any]]]:
    """Every customer-facing message: (what it is, the message or modal)."""
    expires = NOW + timedelta(days=7)
    about = about_helpdesk_conversation("ZD-1001 " + "x" * 200, language)
    linked = about_slack_conversation("https://example.slack.com/archives/C1/p1", language)
    rendered: list[tuple[str, dict[str, Any]]] = []
    for kind in SurveyKind:
        scale = scale_for(kind)
        survey = render_survey(token="t" * 40, kind=kind, locale=language)
        rendered.append((f"{kind} survey", survey))
        reminder = render_reminder(token="t" * 40, kind=kind, locale=language)
        rendered.append((f"{kind} reminder", reminder))
        rendered.append(
            (f"{kind} DM survey", render_survey(token="t", kind=kind, locale=language, about=about))
        )
        rendered.append(
            (f"{kind} linked", render_survey(token="t", kind=kind, locale=language, about=linked))
        )
        for score in scale.scores:
            for where, shown in (("", True), ("thread ", False)):  # a thread hides the score
                rendered += [
                    (
                        f"{kind} {score} {where}thanks",
                        render_thank_you(
                            token="t",
                            kind=kind,
                            score=score,
                            locale=language,
                            expires_at=expires,
                            show_score=shown,
                        ),
                    ),
                    (
                        f"{kind} {score} {where}change",
                        render_change_answer(
                            token="t", kind=kind, score=score, locale=language, show_score=shown
                        ),
                    ),
                    (
                        f"{kind} {score} {where}closed",
                        render_closed(kind=kind, score=score, locale=language, show_score=shown),
                    ),
                ]
            rendered += [
                (
                    f"{kind} {score} private score",
                    render_private_answer(kind=kind, score=score, locale=language),
                ),
                (
                    f"{kind} {score} follow-up",
                    render_follow_up(
                        token="t",
                        kind=kind,
                        score=score,
                        locale=language,
                        reasons=list(REASONS),
                        comment="y" * MAX_COMMENT,
                    ),
                ),
            ]
    rendered.append(("closed, unanswered", render_closed(kind="csat", score=None, locale=language)))
    return rendered


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_fits_slacks_limits_in_every_language(language: str) -> None:
    problems: list[str] = []
    for what, message in messages_in(language):
        if message.get("type") == "modal":
            errors = validate_view(message)
        else:
            errors = validate_blocks(message["blocks"], surface="message")
            if not message["text"].strip():
                errors.append("no notification text")
        problems += [f"{what}: {error}" for error in errors]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_short_texts_are_never_cut_to_fit(language: str) -> None:
    """The renderers cut over-long texts to keep Slack happy; a translation must not need it."""
    _ = translator(language)
    longest_score = max(
        (len(f"{score} · {_(label)}"), f"{score} · {_(label)}")
        for scale in SCALES.values()
        for score, label in scale.labels.items()
    )
    assert longest_score[0] <= MAX_BUTTON_TEXT, longest_score[1]
    for reason in REASONS.values():
        assert len(_(reason)) <= MAX_OPTION_TEXT, _(reason)
    for button in ("Add a comment", "Tell us what went well", "Change my answer"):
        assert len(_(button)) <= MAX_BUTTON_TEXT, _(button)
    # The follow-up form's titles and buttons
    for title in ("Help us do better", "What went well?", "Add a comment", "Send", "Not now"):
        assert len(_(title)) <= MAX_VIEW_BUTTON_TEXT, _(title)


@pytest.mark.parametrize("language", TRANSLATED)
def test_customers_read_no_english_outside_english(language: str) -> None:
    english = translator(SOURCE_LANGUAGE)
    _ = translator(language)
    survey = render_survey(token="t", kind="csat", locale=language)
    assert survey["text"] == _(scale_for("csat").question) != english(scale_for("csat").question)
    thanks = render_thank_you(
        token="t", kind="ces", score=7, locale=language, expires_at=NOW + timedelta(days=7)
    )
    assert "Thank you" not in thanks["text"] and "Very easy" not in thanks["text"]
    for reason in RefusalReason:
        assert refusal_text(reason, language) != refusal_text(reason, SOURCE_LANGUAGE)


# --- what agents and leads read, in every language, within Slack's limits --------------


def team_messages_in(language: str) -> list[tuple[str, dict[str, Any]]]:
    """Alerts in every state, kudos, both digests and an agent's summary, with long words."""
    long_words = "客服回复太慢了 Благодаря 👩‍💻 " * 200
    rendered: list[tuple[str, dict[str, Any]]] = []
    for status, who in (
        (AlertStatus.OPEN, None),
        (AlertStatus.CLAIMED, "U0BO"),
        (AlertStatus.RESOLVED, "U0BO"),
    ):
        facts = AlertFacts(
            alert_id=7,
            kind="csat",
            score=1,
            customer="Ann " * 40,
            agent_id="U0BO",
            permalink="https://example.slack.com/archives/C1/p1",
            helpdesk_ref=None,
            reasons=tuple(REASONS),
            comment=long_words,
            answered_at=NOW,
            status=status,
            claimed_by=who,
            claimed_at=NOW if who else None,
            resolved_by=who if status is AlertStatus.RESOLVED else None,
            resolved_at=NOW if status is AlertStatus.RESOLVED else None,
        )
        rendered.append((f"{status} alert", render_alert(facts, language)))
    rendered.append(
        (
            "kudos",
            render_kudos(kind="ces", score=7, customer="Cy", comment=long_words, locale=language),
        )
    )
    team = Team(name="support", language=language, currency="EUR", target=90.0)
    quoted = [QuotedAnswer(i, 5, f"{i} {long_words}", "U0BO", NOW) for i in range(9)]
    low = QuotedAnswer(99, 1, long_words, "U0BO", NOW)
    figures = Figures(
        weeks=[{5: 3, 1: 1}] * 7 + [{5: 11, 3: 3, 2: 2, 1: 6}],
        delivery=Delivery(delivered=40, answered=22),
        reasons={code: {1: 2, 2: 1} for code in REASONS},
        previous_reasons={code: {1: 5} for code in REASONS},
        praise=quoted,
        examples=dict.fromkeys(REASONS, low),
        agents=[AgentAnswers("U0BO", {5: 11, 1: 6}), AgentAnswers("U0CY", {5: 2})],
        agent_comments={"U0BO": quoted},
        alerts=AlertFigures(22, 5, NOW - timedelta(days=3), 2),
        value=CustomerValue(9, 1200.0, 3, 600.0),
    )
    digest = compose_digest(team, parse_week("2026-W47", team.zone), figures, NOW)
    rendered.append(("good news", render_good_news(digest)))
    rendered.append(("improvement", render_improvement(digest)))
    for summary in digest.agents:
        rendered.append((f"summary {summary.agent_id}", render_agent_summary(digest, summary)))
    return rendered


@pytest.mark.parametrize("language", LANGUAGES)
def test_alerts_and_digests_fit_slacks_limits_in_every_language(language: str) -> None:
    problems: list[str] = []
    for what, message in team_messages_in(language):
        errors = validate_blocks(message["blocks"], surface="message")
        if not message["text"].strip():
            errors.append("no notification text")
        if len(json.dumps(message["blocks"], ensure_ascii=False)) > 13_000:
            errors.append("more than 13,000 characters of blocks")
        problems += [f"{what}: {error}" for error in errors]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_leads_and_agents_read_no_english_outside_english(language: str) -> None:
    for what, message in team_messages_in(language):
        text = json.dumps(message, ensure_ascii=False)
        for english in ("Good news", "Room to improve", "Your week", "Kudos!", "still open"):
            assert english not in text, (what, english)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_alert_labels_are_in_the_teams_language(language: str) -> None:
    catalogue = read_catalog(catalogue_path(language), language)
    facts = AlertFacts(
        alert_id=7,
        kind="csat",
        score=1,
        customer="Ann",
        agent_id="U0BO",
        permalink=None,
        helpdesk_ref="ZD-1",
        reasons=("slow_response",),
        comment="Too slow.",
        answered_at=NOW,
        status=AlertStatus.OPEN,
    )
    shown = json.dumps(render_alert(facts, language)["blocks"], ensure_ascii=False)
    for label in ("What went wrong:", "They wrote:"):
        translated = catalogue[label].string
        assert translated and f"*{translated}*" in shown, (label, translated)
        assert label not in shown


GETTEXT_CALLS = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})


def _calls_in_fstrings(source: str) -> list[int]:
    """Lines where a gettext call sits inside an f-string, where extraction cannot see it."""
    found: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.JoinedStr):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                func = inner.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in GETTEXT_CALLS:
                    found.append(inner.lineno)
    return found


def test_the_finder_sees_a_call_inside_an_f_string() -> None:
    assert _calls_in_fstrings("x = f\"*{_('Label:')}* {y}\"") == [1]
    assert _calls_in_fstrings("x = f\"{ngettext('a', 'b', n)}\"") == [1]
    assert _calls_in_fstrings("label = _('Label:')\nx = f'*{label}*'") == []


def test_no_translated_text_hides_inside_an_f_string() -> None:
    hidden = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("bot", "handlers")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line in _calls_in_fstrings(path.read_text(encoding="utf-8"))
    ]
    assert not hidden, "move these _() calls out of their f-strings: " + ", ".join(hidden)
