"""A settings form with what Slack would never send (a lead forging a signed submission)
or what a real lead can type: each value is refused beside its field, in the team's
language, and nothing is saved. Through the real bot and the fake Slack."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import event, given

from bot.home.team_settings import current_version
from bot.home.team_settings_blocks import render_settings_modal
from bot.teams import parse_teams
from sandbox import FakeSlack, payloads
from tests import harness
from tests.harness import Bot, running_bot
from tests.test_home import open_home, settings_modal, shown
from tests.test_properties import PROPERTY, SLACK_ACK_SECONDS, mutations

LEAD = "U0LEAD"
LEAD_TWO = "U0LEADTWO"
ADMIN = "U0ADMIN"  # a workspace admin: may always save, whoever the leads are
LONG = 10_000
TEAMS_TOML = harness.TEAMS_TOML + f'leads = ["{LEAD}", "{LEAD_TWO}"]\n'


@pytest_asyncio.fixture
async def lead_bot(slack: FakeSlack, sqlite_url: str) -> AsyncIterator[Bot]:
    for user in (LEAD, LEAD_TWO):
        slack.add_user(user, name=user.lower())
    slack.add_user(ADMIN, name="admin", is_admin=True)
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML) as bot:
        yield bot


async def saved_form(bot: Bot, user: str = LEAD) -> tuple[int, dict[str, Any]]:
    """What the saved settings look like to a lead opening the form again: the version it
    was opened at, and each input's element (its initial value)."""
    modal = await settings_modal(bot, user)
    assert modal["callback_id"] == "home_team_settings", modal
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    return json.loads(modal["private_metadata"])["version"], inputs


def forged(modal: dict[str, Any], **states: dict[str, Any]) -> dict[str, Any]:
    """The modal submitted as shown, but with these fields' states (block id -> the
    element's state) as a forger writes them."""
    values = payloads.input_state(modal)
    for field, state in states.items():
        values[field] = {"value": state}
    submission = payloads.submission(modal, user=LEAD)
    submission["view"]["state"]["values"] = values
    return submission


def option(value: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
    }


def text(value: Any) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


CHANNEL_WORDS = "Choose a public or private channel from the list."
PEOPLE_WORDS = "Choose people from the list."
EMOJI_WORDS = "Enter an emoji's name, for example white_check_mark."

# Field -> a hostile state of it -> what the lead reads beside it.
HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("language", option("bogus"), "Choose one of the options."),
    (
        "survey",
        option("nps"),
        "Choose CSAT or CES: NPS is sent on a schedule, not after each conversation.",
    ),
    ("chart", option("x" * LONG), "Choose one of the options."),
    ("delivery", {"type": "static_select", "selected_option": "dm"}, "Choose one of the options."),
    (
        "alert_channel",
        {"type": "conversations_select", "selected_conversation": "C" + "A" * LONG},
        CHANNEL_WORDS,
    ),
    (
        "digest_channel",
        {"type": "conversations_select", "selected_conversation": ["C0DIGEST"]},
        CHANNEL_WORDS,
    ),
    (
        "support_channels",
        {"type": "multi_conversations_select", "selected_conversations": ["C" + "A" * LONG]},
        CHANNEL_WORDS,
    ),
    (
        "support_channels",
        {"type": "multi_conversations_select", "selected_conversations": "C0SUPPORT"},
        CHANNEL_WORDS,
    ),
    (
        "leads",
        {"type": "multi_users_select", "selected_users": [LEAD, "U" + "A" * LONG]},
        PEOPLE_WORDS,
    ),
    # A bare string was once read letter by letter: leads "U", "0", "L"… locked the lead out.
    ("leads", {"type": "multi_users_select", "selected_users": LEAD}, PEOPLE_WORDS),
    ("leads", {"type": "multi_users_select", "selected_users": [LEAD, 7]}, PEOPLE_WORDS),
    (
        "leads",
        {"type": "multi_users_select", "selected_users": []},
        "Keep at least one lead: with none, only workspace admins could change these settings.",
    ),
    ("close_reaction", text("<!channel>"), EMOJI_WORDS),
    ("close_reaction", text("a" * LONG), EMOJI_WORDS),
    ("skip_reaction", text(":white_check_mark:"), "Use another emoji than the close reaction."),
    (
        "timezone",
        text("A" * 256),
        "Enter a time zone name, for example Europe/Berlin or America/New_York.",
    ),
    (
        "timezone",
        text("../../etc/passwd"),
        "Enter a time zone name, for example Europe/Berlin or America/New_York.",
    ),
    ("delay_minutes", text("1e999"), "Enter a whole number from 0 to 10,080."),
    ("delay_minutes", text("9" * LONG), "Enter a whole number from 0 to 10,080."),
    ("sample_rate", text("nan"), "Enter a number from 0 to 1."),
    ("target", text("inf"), "Enter a CSAT % from 0 to 100, or leave it empty."),
    ("quiet_hours", text({"from": "20:00"}), "This value is not valid."),
    (
        "currency",
        text("€" * LONG),
        "Enter a three-letter currency code, for example USD, EUR or JPY.",
    ),
]


async def test_each_hostile_value_is_refused_beside_its_field_and_nothing_is_saved(
    lead_bot: Bot,
) -> None:
    modal = await settings_modal(lead_bot, LEAD)
    for field, state, words in HOSTILE:
        status, body = await lead_bot.send_interaction_json(forged(modal, **{field: state}))
        assert status == 200, (field, status)
        assert body["response_action"] == "errors", (field, body)
        assert body["errors"] == {field: words}, (field, str(body)[:300])
    # Nothing was saved: Home tells of no change, and the form opens as it was.
    assert "Last settings change" not in shown(await open_home(lead_bot, LEAD))
    version, inputs = await saved_form(lead_bot)
    assert version == json.loads(modal["private_metadata"])["version"]
    assert inputs["leads"]["initial_users"] == [LEAD, LEAD_TWO]
    assert inputs["timezone"]["initial_value"] == "UTC"
    assert inputs["language"]["initial_option"]["value"] == "en"
    # The lead was never locked out, and a good change (handing over) is kept.
    again = await settings_modal(lead_bot, LEAD)
    _, body = await lead_bot.send_interaction_json(
        payloads.submission(again, user=LEAD, leads=[LEAD_TWO], skip_reaction=":x:")
    )
    assert not body, body
    version, inputs = await saved_form(lead_bot, LEAD_TWO)
    assert inputs["leads"]["initial_users"] == [LEAD_TWO]
    assert inputs["skip_reaction"]["initial_value"] == "x"


@pytest.mark.parametrize(
    "values",
    [
        "not a dict",
        {"language": "not a block"},
        {"language": {"value": "not a state"}},
        {"leads": {"value": {"type": "multi_users_select", "selected_users": {"a": 1}}}},
    ],
)
async def test_a_form_of_the_wrong_shape_gets_an_answer_not_a_500(
    lead_bot: Bot, values: Any
) -> None:
    opened, _ = await saved_form(lead_bot)
    modal = lead_bot.slack.views[-1]
    submission = payloads.submission(modal, user=LEAD)
    if isinstance(values, dict):
        submission["view"]["state"]["values"].update(values)
    else:
        submission["view"]["state"] = values
    status, body = await lead_bot.send_interaction_json(submission)
    # Refused at the door (the request's shape is checked before any listener), or answered.
    assert status in (200, 400), body
    version, inputs = await saved_form(lead_bot)
    if status == 400 or body:
        assert version == opened  # refused: nothing saved
    if status == 200 and body:
        assert body["response_action"] == "errors"
    # Whatever happened, the lead is still a lead (a field the form lacks keeps its value).
    assert inputs["leads"]["initial_users"] == [LEAD, LEAD_TWO]


@pytest.mark.parametrize(
    "metadata",
    [
        '{"team": "support", "version": 1e999}',
        '{"team": "support", "version": 99999999999999}',
        '{"team": ["support"], "version": 1}',
        "[]",
        "x" * LONG,
    ],
)
async def test_a_tampered_form_version_is_out_of_date_not_a_500(
    lead_bot: Bot, metadata: str
) -> None:
    modal = await settings_modal(lead_bot, LEAD)
    status, body = await lead_bot.send_interaction_json(
        payloads.submission({**modal, "private_metadata": metadata}, user=LEAD, delay_minutes="9")
    )
    assert status == 200
    assert list(body["errors"].values()) == ["This form is out of date; open it again."]
    version, inputs = await saved_form(lead_bot)
    assert version == json.loads(modal["private_metadata"])["version"]
    assert inputs["delay_minutes"]["initial_value"] == "0"


async def test_the_errors_are_in_the_teams_language(slack: FakeSlack, sqlite_url: str) -> None:
    slack.add_user(LEAD, name="lead")
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML + 'language = "pl"\n') as bot:
        modal = await settings_modal(bot, LEAD)
        no_leads = {"type": "multi_users_select", "selected_users": []}
        _, body = await bot.send_interaction_json(
            forged(modal, leads=no_leads, close_reaction=text("<!channel>"))
        )
        # The values are checked first; with them mended, the empty leads are refused.
        assert body["errors"] == {
            "close_reaction": "Wpisz nazwę emoji, na przykład white_check_mark."
        }
        _, body = await bot.send_interaction_json(forged(modal, leads=no_leads))
        assert body["errors"] == {
            "leads": "Zostaw co najmniej jednego lidera: bez liderów te ustawienia mogliby "
            "zmieniać tylko administratorzy workspace'u."
        }


# The form as the harness's team opens it: every input's state, as Slack sends it.
FORM = render_settings_modal(parse_teams(TEAMS_TOML).default, version=1)
FORM_STATE = payloads.input_state(FORM)


@pytest.fixture
def known() -> dict[str, int]:
    """The saved version, as the property's examples (sharing one bot) leave it."""
    return {}


@PROPERTY
@given(values=mutations(FORM_STATE))
async def test_any_settings_form_gets_errors_or_a_valid_save_never_a_500(
    lead_bot: Bot, known: dict[str, int], values: dict[str, Any]
) -> None:
    if "version" not in known:
        known["version"], _ = await saved_form(lead_bot, ADMIN)
    metadata = json.dumps({"team": "support", "version": known["version"]})
    submission = payloads.submission({**FORM, "private_metadata": metadata}, user=ADMIN)
    submission["view"]["state"]["values"] = values
    started = time.monotonic()
    status, body = await lead_bot.send_interaction_json(submission)
    assert time.monotonic() - started < SLACK_ACK_SECONDS
    if status == 400:  # a shape no Slack form has, refused at the door (bot.slack_request)
        assert "error" in body
        event("refused at the door")
    elif body:  # refused beside a field of the form
        assert status == 200, (status, body)
        assert body["response_action"] == "errors"
        assert set(body["errors"]) <= set(FORM_STATE)
        # Only this test saves: a conflict would mean a refused form saved something.
        assert not any("Someone else" in text for text in body["errors"].values()), body
        event("refused beside a field")
    else:  # saved, once, and the team still has a lead
        assert status == 200
        # Read back as the bot holds it (reopening the form after every example would
        # run into Home's per-person click limit).
        version = await current_version(lead_bot.workspace, "support")
        assert version == known["version"] + 1
        team = lead_bot.workspace.teams.by_name("support")
        assert team is not None and team.leads
        known["version"] = version
        event("saved")


async def test_leads_once_read_letter_by_letter_give_way_to_the_files_at_start(
    slack: FakeSlack, sqlite_url: str
) -> None:
    slack.add_user(LEAD, name="lead")
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML):
        pass  # the first start seeds the team's settings from the file
    # What the old reader saved from `selected_users: "U0LEAD"`, with a good change too,
    # written as an older release left it in the database.
    with sqlite3.connect(sqlite_url.split(":///", 1)[1]) as database:
        (text,) = database.execute(
            "SELECT settings FROM team_settings WHERE team = 'support'"
        ).fetchone()
        broken = {**json.loads(text), "leads": list(LEAD), "alert_channel": "C0NEW"}
        database.execute(
            "UPDATE team_settings SET settings = ?, version = version + 1 WHERE team = 'support'",
            (json.dumps(broken),),
        )
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML) as bot:
        _, inputs = await saved_form(bot, LEAD)  # the lead is let back in
    assert inputs["leads"]["initial_users"] == [LEAD, LEAD_TWO]  # the file's
    assert inputs["alert_channel"]["initial_conversation"] == "C0NEW"  # as saved


async def test_a_stale_form_names_what_changed_meanwhile_by_its_label(lead_bot: Bot) -> None:
    first = await settings_modal(lead_bot, LEAD)
    second = await settings_modal(lead_bot, LEAD_TWO)
    _, body = await lead_bot.send_interaction_json(
        payloads.submission(second, user=LEAD_TWO, delay_minutes="10", currency="EUR")
    )
    assert not body
    _, body = await lead_bot.send_interaction_json(
        payloads.submission(first, user=LEAD, target="90")
    )
    text = (
        "Someone else changed these settings while you were editing (Delay after the close "
        "(minutes), Currency of customer values). Nothing was saved: close this form and open "
        "it again to see their change."
    )
    assert body["errors"] == {"delay_minutes": text, "currency": text}
