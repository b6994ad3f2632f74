"""The NPS round report: NPS 10 from 30 promoters, 50 passives and 20 detractors with
its ±14 margin, counts only below the minimum sample, the change said to be noise when
it is; and posted once to the digest channel when the round closes, through the bot."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from bot.answering.answers import keeps_follow_up
from bot.nps.job import run_nps_rounds, running_round_line
from bot.nps.report import Shares, change_line, compose_report, headline, render_report
from bot.scoring import nps_margin
from sandbox import FakeSlack
from sandbox.blockkit import validate_blocks
from sandbox.history import Answer, add_answer
from storage import answers, outbox, surveys
from storage import nps as store
from storage.nps import Progress, RoundAnswers
from tests.harness import DIGEST_CHANNEL, TEAMS_TOML, running_bot, seed_slack

PLANNING = datetime(2027, 1, 3, 10, 0, tzinfo=UTC)
NPS_TEAMS = TEAMS_TOML + 'nps_schedule = "every 3 months from 2027-01-04"\n'
TEN = "NPS 10 = 30% promoters − 20% detractors (50% passives), 100 answers, ±14"
DONE = Progress(asked=100, skipped=0, waiting=0, answered=100)


def answers_of(scores: dict[int, int]) -> RoundAnswers:
    return RoundAnswers(scores, 0.0, {}, [])


def test_30_promoters_50_passives_20_detractors_are_nps_10_plus_or_minus_14() -> None:
    shares = Shares.of({10: 20, 9: 10, 8: 30, 7: 20, 6: 10, 3: 10})
    assert (shares.promoters, shares.passives, shares.detractors) == (30, 50, 20)
    assert shares.score == 10.0
    # √((0.3 + 0.2 − 0.1²) ÷ 100) × 1.96 × 100 = 13.72 points
    assert round(nps_margin(30, 50, 20) or 0, 2) == 13.72
    assert headline(shares, "en") == TEN


def test_below_the_minimum_sample_the_report_shows_counts_only() -> None:
    line = headline(Shares.of({10: 2, 8: 1, 2: 1}), "en")
    assert "±" not in line and "NPS 2" not in line
    assert "4 answers (2 promoters, 1 passives, 1 detractors), too few for a score" in line


def test_below_the_minimum_sample_no_reason_quote_or_money_is_shown() -> None:
    few = RoundAnswers({10: 2, 3: 2}, 400.0, {"slow_response": (2, 400.0)}, ["Lovely team"])
    message = render_report(compose_report(date(2027, 1, 4), few, DONE, None, 0.95), "en", "USD")
    words = json.dumps(message["blocks"])
    assert "too few for a score" in words
    assert "Slow response" not in words and "Lovely team" not in words and "$" not in words


def test_a_change_within_the_margin_is_called_noise() -> None:
    now = answers_of({10: 30, 8: 50, 3: 20})  # NPS 10
    before = answers_of({10: 25, 8: 55, 3: 20})  # NPS 5
    report = compose_report(date(2027, 4, 4), now, DONE, before, 0.95)
    # √(13.72² + 13.11²) = 18.98 points: a change of 5 is noise.
    assert change_line(report, "en") == "+5 since the last round (NPS 5): within noise (±19)"
    far = answers_of({10: 5, 8: 45, 3: 50})  # NPS −45
    report = compose_report(date(2027, 4, 4), now, DONE, far, 0.95)
    assert "beyond noise" in (change_line(report, "en") or "")


def test_the_report_fits_block_kit_in_every_language() -> None:
    answered = RoundAnswers(
        {10: 30, 8: 50, 3: 20},
        2000.0,
        {"slow_response": (12, 1200.0), "not_resolved": (8, 800.0), "other": (2, 0.0)},
        ["x" * 2000, "Great support, thank you!"],
    )
    report = compose_report(date(2027, 1, 4), answered, DONE, answers_of({9: 40, 2: 60}), 0.95)
    for language in ("en", "bg", "de", "es", "fr", "it", "ja", "nl", "pl", "pt_BR", "zh_Hans"):
        message = render_report(report, language, "EUR")
        assert validate_blocks(message["blocks"], surface="message") == [], language


async def test_a_closed_round_reports_nps_10_once_to_the_digest_channel(
    slack: FakeSlack, store_url: str
) -> None:
    seed_slack(slack)
    async with running_bot(slack, store_url, teams_toml=NPS_TEAMS) as bot:
        db = bot.workspace.db
        scores = [10] * 20 + [9] * 10 + [8] * 30 + [7] * 20 + [6] * 10 + [2] * 10
        for n in range(len(scores)):
            customer = f"U0C{n:04d}"
            await add_answer(
                db, Answer(5, customer=customer, value=100.0), PLANNING - timedelta(days=30)
            )
        bot.clock.set(PLANNING)
        await run_nps_rounds(bot.workspace)
        (nps_round,) = await store.rounds_of(db, "support")
        invites = [i for i in await store.invites_of(db, nps_round.id) if i.survey_token]
        assert len(invites) == 100
        for invite, score in zip(invites, scores, strict=True):
            assert invite.survey_token is not None and invite.customer_id is not None
            sent = await surveys.survey_by_token(db, invite.survey_token)
            assert sent is not None
            await outbox.mark_delivered(
                db,
                sent.id,
                channel_id="D0X",
                message_ts="1.2",
                at=PLANNING,
                customer_id=invite.customer_id,
            )
            survey = await surveys.get_survey(db, sent.id)
            assert survey is not None
            await answers.record_click(
                db,
                survey,
                score,
                action_ts="1.3",
                at=PLANNING,
                keeps_follow_up=keeps_follow_up("nps"),
            )
            if score <= 6:
                await answers.save_follow_up(
                    db, survey.id, reasons=["slow_response"], comment=None, at=PLANNING
                )
            elif score == 10:
                await answers.save_follow_up(
                    db, survey.id, reasons=[], comment="Always quick and kind.", at=PLANNING
                )
            if invite is invites[49]:
                team = bot.workspace.teams.by_name("support")
                assert team is not None
                line = await running_round_line(db, team)
                assert line is not None and "50 of 100 answered, 50 waiting" in line
                await run_nps_rounds(bot.workspace)  # still running: no report
                assert not slack.messages.get(DIGEST_CHANNEL)

        await run_nps_rounds(bot.workspace)
        await run_nps_rounds(bot.workspace)  # posted once
        (posted,) = slack.messages[DIGEST_CHANNEL]
        text = json.dumps(slack.message(DIGEST_CHANNEL, posted["ts"]), ensure_ascii=False)
        assert TEN in text
        assert "Slow response: 20, $1,900 a month at risk" in text
        assert "Always quick and kind." in text
        assert "Revenue at risk from detractors: $1,900 a month" in text
