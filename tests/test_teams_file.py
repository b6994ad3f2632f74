"""The teams file: sensible defaults, and errors that name the team and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.teams import TeamsFileError, load_teams, parse_teams
from tests.test_process import project_env, run_cli

GOOD = """
[[teams]]
name = "billing"
support_channels = ["C0BILLING"]
alert_channel = "C0ALERTS"
digest_channel = "C0DIGEST"
survey = "ces"
timezone = "Europe/Berlin"
digest_schedule = "Mon 09:00"
quiet_hours = "21:00-07:30"
close_reaction = ":heavy_check_mark:"
delivery = "dm"
leads = ["U0LEAD"]

[[teams]]
name = "support"
support_channels = ["C0SUPPORT"]
"""


def test_a_valid_file_is_read_with_defaults_filled_in() -> None:
    teams = parse_teams(GOOD)
    billing = teams.by_support_channel("C0BILLING")
    assert billing is not None and billing.name == "billing"
    assert billing.survey == "ces" and billing.delivery == "dm"
    assert billing.close_reaction == "heavy_check_mark"
    assert billing.digest_weekday == 0 and str(billing.digest_time) == "09:00:00"
    support = teams.by_name("support")
    assert support is not None
    assert (support.delay_minutes, support.throttle_days, support.expire_days) == (5, 7, 7)
    assert support.quiet_hours == "20:00-08:00" and support.sample_rate == 1.0


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('timezone = "Mars/Olympus"', "team 'x': timezone: unknown timezone 'Mars/Olympus'"),
        ("sample_rate = 1.5", "team 'x': sample_rate:"),
        ('survey = "nps"', "team 'x': survey:"),
        ('quiet_hours = "late"', "team 'x': quiet_hours: 'late' is not 'HH:MM-HH:MM'"),
        ('delivery = "email"', "team 'x': delivery:"),
        ("colour = 1", "team 'x': colour: unknown field"),
        ('digest_schedule = "monday"', "team 'x': digest_schedule:"),
        (
            'digest_schedule = "funday 9"',
            "team 'x': digest_schedule: 'funday 9' is not '<day> HH:MM' (for example 'mon 09:00')",
        ),
        ("target = 120", "team 'x': target: 120 is not a CSAT % from 0 to 100"),
        ('survey = "ces"\ntarget = 9', "team 'x': target: 9 is not a mean CES from 1 to 7"),
        (
            'currency = "EURO"',
            "team 'x': currency: 'EURO' is not an ISO 4217 currency code (for example 'USD'",
        ),
        (
            "churn_probability = 1.5",
            "team 'x': churn_probability: 1.5 is not a probability from 0 to 1 (0.95 means",
        ),
        (
            'alert_channel = "#support"',
            "team 'x': alert_channel: '#support' is a channel name; use the channel's id (in Slack",
        ),
    ],
)
def test_a_bad_field_is_named_with_its_team(table: str, named: str) -> None:
    with pytest.raises(TeamsFileError) as error:
        parse_teams(f'[[teams]]\nname = "x"\n{table}\n')
    assert named in str(error.value)


def test_the_file_says_whats_wrong_in_english_whatever_the_teams_language() -> None:
    """The teams file is the operator's; its team's leads read their language in the modal."""
    with pytest.raises(TeamsFileError) as error:
        parse_teams(
            '[[teams]]\nname = "x"\nlanguage = "pl"\ndelay_minutes = -5\nquiet_hours = "8pm"\n'
        )
    assert str(error.value) == (
        "teams file, team 'x': delay_minutes: Input should be greater than or equal to 0; "
        "quiet_hours: '8pm' is not 'HH:MM-HH:MM' (for example '20:00-08:00')"
    )


def test_a_team_without_a_name_is_named_by_its_position() -> None:
    with pytest.raises(TeamsFileError, match=r"team #1: name: is required|team #1: name"):
        parse_teams("[[teams]]\nsurvey = 'csat'\n")


def test_a_channel_claimed_by_two_teams_is_refused() -> None:
    one = '[[teams]]\nname="a"\nsupport_channels=["C1"]\n'
    text = one + one.replace('"a"', '"b"')
    with pytest.raises(TeamsFileError, match="C1 belongs to two teams"):
        parse_teams(text)


def test_broken_toml_and_missing_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(TeamsFileError, match="not valid TOML"):
        parse_teams("[[teams]\n")
    with pytest.raises(TeamsFileError, match="cannot read teams file"):
        load_teams(tmp_path / "nope.toml")


def test_without_a_teams_file_one_dm_team_takes_webhook_closes() -> None:
    teams = load_teams(None)
    assert teams.default.delivery == "dm"


# Values that would silently do nothing: refused at start, naming the team and the field.
SILENT = [
    (
        'close_reaction = ""',
        "team 'x': close_reaction: is empty, so no reaction would ever match it; name an "
        "emoji, for example 'white_check_mark'",
    ),
    ('skip_reaction = "::"', "team 'x': skip_reaction: is empty, so no reaction"),
    (
        'close_reaction = "tada"\nskip_reaction = ":tada:"',
        "team 'x': skip_reaction: 'tada' is the close_reaction too, so no conversation could "
        "be closed without a survey; choose another emoji",
    ),
    ('close_reaction = "<!channel>"', "team 'x': close_reaction: '<!channel>' is not an emoji"),
    (
        'leads = ["U0LEAD", "anna@example.com"]',
        "team 'x': leads: 'anna@example.com' is not a Slack member id; use the person's id (in "
        "Slack, open their profile, click ⋮ (More) and choose Copy member ID; it looks like "
        "U0123ABCD)",
    ),
    ('leads = ["@anna"]', "team 'x': leads: '@anna' is not a Slack member id"),
    ('leads = "U0LEAD"', "team 'x': leads: Input should be a valid tuple"),
    (
        'language = "klingon"',
        "team 'x': language: 'klingon' is not a language surveybot speaks (one of en, it, pl, "
        "zh_Hans, bg, es, fr, de, pt_BR, ja, nl)",
    ),
    (f'timezone = "{"A" * 256}"', "team 'x': timezone: unknown timezone 'AAAA"),
    (f'alert_channel = "C{"A" * 40}"', "team 'x': alert_channel: 'CAAAA"),
]


@pytest.mark.parametrize(("table", "named"), SILENT)
def test_a_value_that_would_silently_do_nothing_is_refused_with_a_sentence(
    table: str, named: str
) -> None:
    with pytest.raises(TeamsFileError) as error:
        parse_teams(f'[[teams]]\nname = "x"\n{table}\n')
    assert named in str(error.value)
    assert len(str(error.value)) < 400  # one sentence, however long the value


def test_at_start_the_sentence_names_the_file_the_team_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "teams.toml"
    path.write_text(
        '[[teams]]\nname = "billing"\n\n'
        '[[teams]]\nname = "support"\nclose_reaction = "x"\nskip_reaction = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(TeamsFileError) as error:
        load_teams(path)
    assert str(error.value).startswith(f"{path}, team 'support': skip_reaction: 'x' is the ")


def test_a_shipped_language_written_as_a_locale_is_read_as_that_language() -> None:
    teams = parse_teams('[[teams]]\nname = "x"\nlanguage = "pt-BR"\n')
    assert teams.default.language == "pt_BR"


@pytest.mark.parametrize(
    ("table", "named"),
    [
        (
            'close_reaction = ""\nleads = ["anna"]\n',
            [
                "team 'billing': close_reaction: is empty, so no reaction would ever match it",
                "; leads: 'anna' is not a Slack member id; use the person's id (in Slack, open "
                "their profile, click ⋮ (More) and choose Copy member ID",
            ],
        ),
        (
            'skip_reaction = "white_check_mark"\n',
            ["team 'billing': skip_reaction: 'white_check_mark' is the close_reaction too"],
        ),
    ],
)
async def test_serve_refuses_to_start_with_values_that_would_do_nothing(
    tmp_path: Path, table: str, named: list[str]
) -> None:
    teams = tmp_path / "teams.toml"
    teams.write_text(f'[[teams]]\nname = "billing"\n{table}', encoding="utf-8")
    env = project_env(
        tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", SURVEYBOT_CONFIG=str(teams)
    )
    code, out = await run_cli("serve", cwd=tmp_path, env=env)
    assert code == 2, out
    assert out.startswith(f"surveybot: {teams}, team 'billing': "), out
    for words in named:
        assert words in out
    assert "Traceback" not in out and len(out.splitlines()) == 1
