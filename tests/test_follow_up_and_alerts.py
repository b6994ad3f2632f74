"""Low scores open the follow-up and alert the agent; praise sends kudos. Real bot, fake Slack."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from sandbox import FakeSlack
from sandbox.payloads import buttons
from storage import alerts as alert_store
from storage import answers
from tests.answering import (
    TICKET_URL,
    Delivered,
    block_actions,
    delivered_survey,
    score_click,
    view_closed,
    view_submission,
)
from tests.harness import AGENT, ALERT_CHANNEL, CUSTOMER, Bot
from tests.waiting import wait_until

LEAD = "U0LEAD"
HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|your bank> & <!here>"


def everything_posted(message: dict[str, Any]) -> str:
    return json.dumps(
        {"text": message["text"], "blocks": message.get("blocks")}, ensure_ascii=False
    )


def mentions(message: dict[str, Any]) -> set[str]:
    return set(re.findall(r"<@(U[A-Z0-9]+)>", everything_posted(message)))


async def low_score_with_alert(bot: Bot, slack: FakeSlack, source: str = "slack") -> Delivered:
    d = await delivered_survey(bot, slack, source=source)
    await bot.send_interaction(score_click(d, 1))
    await slack.wait_for("views.open")
    await slack.wait_for("chat.postMessage", 2)
    await alert_posted(bot, d)
    return d


async def alert_posted(bot: Bot, d: Delivered) -> None:
    """The alert's ts is stored right after Slack answers the post."""
    survey_id = d.survey.id
    assert survey_id is not None

    async def ts_stored() -> bool:
        stored = await alert_store.alert_for_survey(bot.workspace.db, survey_id)
        return stored is not None and bool(stored.message_ts)

    await wait_until(ts_stored, what="the alert's ts stored")


def alert_message(slack: FakeSlack) -> dict[str, Any]:
    (alert,) = slack.messages[ALERT_CHANNEL]
    return slack.message(ALERT_CHANNEL, alert["ts"])


async def test_low_score_opens_follow_up_and_alerts_agent(bot: Bot, slack: FakeSlack) -> None:
    d = await delivered_survey(bot, slack)
    click = score_click(d, 2)
    await bot.send_interaction(click)
    (opened,) = await slack.wait_for("views.open")
    assert opened.args["trigger_id"] == click["trigger_id"]
    modal = opened.args["view"]
    assert modal["callback_id"] == "survey_follow_up" and modal["notify_on_close"] is True
    assert modal["private_metadata"] == d.survey.token
    assert len(modal["title"]["text"]) <= 24
    reasons = next(b for b in modal["blocks"] if b.get("block_id") == "follow_up_reasons")
    assert [o["value"] for o in reasons["element"]["options"]][:2] == [
        "slow_response",
        "not_resolved",
    ]
    comment = next(b for b in modal["blocks"] if b.get("block_id") == "follow_up_comment")
    assert comment["element"]["multiline"] and comment["element"]["max_length"] == 2000

    await slack.wait_for("chat.postMessage", 2)
    # The trigger_id lives 3 s: the form opens before the slower work (no timing asserted
    # here; speed lives in benchmarks, and these machines are shared).
    order = [c.method for c in slack.calls if c.method in ("views.open", "chat.update")]
    assert order[0] == "views.open"
    alert = alert_message(slack)
    text = everything_posted(alert)
    assert "Low CSAT score: 2 · Dissatisfied" in json.loads(text)["blocks"][0]["text"]["text"]
    assert mentions(alert) == {AGENT}  # the agent, and no one else
    assert CUSTOMER not in text and "ann" in text  # the customer by name, never pinged
    assert "https://fake.slack.com/archives/C0SUPPORT/p1763900000000100" in text
    assert buttons(alert) == ["alert_claim", "alert_resolve"]
    # The thank-you keeps a way back to the form.
    assert "survey_add_comment" in buttons(slack.message(d.channel, d.ts))
    await alert_posted(bot, d)
    assert d.survey.id is not None
    stored = await alert_store.alert_for_survey(bot.workspace.db, d.survey.id)
    assert stored is not None and stored.status == "open" and stored.message_ts == alert["ts"]


async def test_a_helpdesk_conversation_alert_names_its_ticket_instead_of_a_link(
    bot: Bot, slack: FakeSlack
) -> None:
    await low_score_with_alert(bot, slack, source="webhook")
    text = everything_posted(alert_message(slack))
    assert "Helpdesk conversation `ZD-1001`" in text and "fake.slack.com/archives" not in text
    assert slack.called("chat.getPermalink") == []


async def test_a_helpdesk_conversation_with_a_link_is_linked_from_the_alert(
    bot: Bot, slack: FakeSlack
) -> None:
    await low_score_with_alert(bot, slack, source="webhook_with_link")
    text = everything_posted(alert_message(slack))
    assert f"<{TICKET_URL}|Open the conversation>" in text


async def test_the_comment_updates_the_alert_in_place_with_reasons(
    bot: Bot, slack: FakeSlack
) -> None:
    await low_score_with_alert(bot, slack)
    modal = slack.views[-1]
    status, body = await bot.send_interaction_json(
        view_submission(
            modal, reasons=["slow_response", "repeated_myself"], comment="Took three days."
        )
    )
    assert (status, body) == (200, "")
    await wait_until(
        lambda: any(c.args["channel"] == ALERT_CHANNEL for c in slack.called("chat.update"))
    )
    alert = alert_message(slack)
    text = everything_posted(alert)
    assert "Slow response, Had to repeat myself" in text
    assert "&gt; Took three days." not in text and "> Took three days." in text
    assert len(slack.messages[ALERT_CHANNEL]) == 1  # updated in place, not posted again


async def test_hostile_comment_text_reaches_the_alert_escaped(bot: Bot, slack: FakeSlack) -> None:
    await low_score_with_alert(bot, slack)
    await bot.send_interaction_json(view_submission(slack.views[-1], comment=HOSTILE))
    await wait_until(lambda: "evil.example" in everything_posted(alert_message(slack)))
    alert = alert_message(slack)
    text = everything_posted(alert)
    assert "<!channel>" not in text and "<!here>" not in text
    assert "<@U0BOSS>" not in text and "<https://evil.example" not in text
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|your bank&gt;" in text
    assert mentions(alert) == {AGENT}
    # Nothing anywhere the bot wrote pings the channel.
    assert all("<!channel>" not in json.dumps(c.args) for c in slack.calls)


async def test_follow_up_validation_errors_come_back_in_the_modal(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await low_score_with_alert(bot, slack)
    modal = slack.views[-1]
    status, body = await bot.send_interaction_json(view_submission(modal, comment="x" * 2001))
    assert status == 200 and body["response_action"] == "errors"
    assert "2000" in body["errors"]["follow_up_comment"]
    status, body = await bot.send_interaction_json(
        view_submission(modal, reasons=["slow_response", "drop_tables"])
    )
    assert body["response_action"] == "errors" and "follow_up_reasons" in body["errors"]
    status, body = await bot.send_interaction_json(view_submission(modal))
    assert body["response_action"] == "errors" and "follow_up_comment" in body["errors"]
    status, body = await bot.send_interaction_json(
        view_submission(modal, comment="mine now", user=AGENT)
    )
    assert "someone else" in body["errors"]["follow_up_comment"]
    await asyncio.sleep(0.3)
    assert d.survey.id is not None
    response = await answers.response_for(bot.workspace.db, d.survey.id)
    assert response is not None and response.comment is None and response.reasons == ()


async def test_closing_the_form_is_acknowledged_and_the_comment_button_stays(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await low_score_with_alert(bot, slack)
    response = await bot.send_interaction(view_closed(slack.views[-1]))
    assert response.status == 200
    await slack.wait_for("chat.update")
    thank_you = slack.message(d.channel, d.ts)
    again = block_actions(
        channel=d.channel,
        message=thank_you,
        action_id="survey_add_comment",
        thread_ts=d.thread_ts,
    )
    await bot.send_interaction(again)
    opened = await slack.wait_for("views.open", 2)
    assert opened[1].args["trigger_id"] == again["trigger_id"]
    assert opened[1].args["view"]["private_metadata"] == d.survey.token


async def test_claim_and_resolve_show_who_and_when(bot: Bot, slack: FakeSlack) -> None:
    d = await low_score_with_alert(bot, slack)
    alert = alert_message(slack)
    claim = block_actions(channel=ALERT_CHANNEL, message=alert, action_id="alert_claim", user=LEAD)
    await bot.send_interaction(claim)
    await wait_until(lambda: "is following up (since" in everything_posted(alert_message(slack)))
    claimed = alert_message(slack)
    assert f"<@{LEAD}> is following up (since <!date^" in everything_posted(claimed)
    assert buttons(claimed) == ["alert_resolve"]
    assert d.survey.id is not None
    stored = await alert_store.alert_for_survey(bot.workspace.db, d.survey.id)
    assert stored is not None and stored.claimed_by == LEAD and stored.claimed_at is not None

    # A second claim from an old copy of the alert is told who has it.
    await bot.send_interaction(
        block_actions(channel=ALERT_CHANNEL, message=alert, action_id="alert_claim", user=AGENT)
    )
    await wait_until(lambda: any("already following up" in e["text"] for e in slack.ephemerals))

    resolve = block_actions(
        channel=ALERT_CHANNEL, message=claimed, action_id="alert_resolve", user=AGENT
    )
    await bot.send_interaction(resolve)
    await wait_until(lambda: "Resolved by" in everything_posted(alert_message(slack)))
    resolved = alert_message(slack)
    assert buttons(resolved) == []
    assert f"Resolved by <@{AGENT}>" in everything_posted(resolved)
    stored = await alert_store.alert_for_survey(bot.workspace.db, d.survey.id)
    assert stored is not None and stored.status == "resolved" and stored.resolved_by == AGENT


async def test_an_alert_button_with_a_forged_value_changes_nothing(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await low_score_with_alert(bot, slack)
    forged = block_actions(
        channel=ALERT_CHANNEL, message=alert_message(slack), action_id="alert_claim", value="999"
    )
    await bot.send_interaction(forged)
    await wait_until(lambda: any("could not find" in e["text"] for e in slack.ephemerals))
    assert d.survey.id is not None
    stored = await alert_store.alert_for_survey(bot.workspace.db, d.survey.id)
    assert stored is not None and stored.status == "open"


async def test_a_praise_with_a_comment_sends_kudos_to_the_agent_only(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    await bot.send_interaction(score_click(d, 5))
    (opened,) = await slack.wait_for("views.open")
    modal = opened.args["view"]
    assert modal["title"]["text"] == "What went well?"
    assert all(b.get("block_id") != "follow_up_reasons" for b in modal["blocks"])
    await slack.wait_for("chat.update")
    # In the thread the button does not hint at the score; the form asks what went well.
    assert "Add a comment" in everything_posted(slack.message(d.channel, d.ts))
    status, _ = await bot.send_interaction_json(
        view_submission(slack.views[-1], comment="Bo fixed it in minutes <3")
    )
    assert status == 200
    await wait_until(lambda: len(slack.called("chat.postMessage")) == 2)
    kudos_post = slack.called("chat.postMessage")[1]
    # The survey went into the thread, so the only DM opened is the agent's.
    (opened_dm,) = slack.called("conversations.open")
    assert opened_dm.args["users"] == AGENT and kudos_post.args["channel"].startswith("D")
    kudos = everything_posted(kudos_post.args)
    assert "Kudos!" in kudos and "Bo fixed it in minutes &lt;3" in kudos
    assert ALERT_CHANNEL not in slack.messages  # praise alerts nobody
    # Editing the comment later does not send kudos twice.
    await bot.send_interaction_json(view_submission(slack.views[-1], comment="Really great"))
    await asyncio.sleep(0.3)
    assert len(slack.called("chat.postMessage")) == 2


async def test_a_top_score_without_words_sends_no_kudos(bot: Bot, slack: FakeSlack) -> None:
    d = await delivered_survey(bot, slack)
    await bot.send_interaction(score_click(d, 5))
    await slack.wait_for("views.open")
    await bot.send_interaction(view_closed(slack.views[-1]))
    await asyncio.sleep(0.3)
    assert len(slack.called("chat.postMessage")) == 1  # the survey only


async def test_a_change_of_mind_from_low_to_top_updates_the_alert(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await low_score_with_alert(bot, slack)
    await slack.wait_for("chat.update")
    change = block_actions(
        channel=d.channel,
        message=slack.message(d.channel, d.ts),
        action_id="survey_change_answer",
        thread_ts=d.thread_ts,
    )
    await bot.send_interaction(change)
    await slack.wait_for("chat.update", 2)
    d.message = slack.message(d.channel, d.ts)
    await bot.send_interaction(score_click(d, 5))
    await wait_until(lambda: "changed their" in everything_posted(alert_message(slack)))
    assert "5 · Very satisfied" in everything_posted(alert_message(slack))
    assert len(slack.messages[ALERT_CHANNEL]) == 1


async def test_a_quick_change_of_mind_while_the_alert_posts_leaves_one_alert_with_the_last_score(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    # Slack is slow on the alert channel this second: the first post waits out a 429.
    slack.fail_next("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    await bot.send_interaction(score_click(d, 1))
    await asyncio.sleep(0.3)
    await bot.send_interaction(score_click(d, 2))

    def alert_shows_the_last_score() -> bool:
        posted = slack.messages.get(ALERT_CHANNEL, [])
        return bool(posted) and "2 · Dissatisfied" in everything_posted(posted[0])

    await wait_until(alert_shows_the_last_score)
    await asyncio.sleep(0.3)
    (alert,) = slack.messages[ALERT_CHANNEL]
    assert "2 · Dissatisfied" in everything_posted(alert)


async def test_two_simultaneous_low_clicks_post_one_alert(bot: Bot, slack: FakeSlack) -> None:
    d = await delivered_survey(bot, slack)
    await asyncio.gather(
        bot.send_interaction(score_click(d, 1)), bot.send_interaction(score_click(d, 2))
    )
    await slack.wait_for("chat.postMessage", 2)
    await asyncio.sleep(0.5)
    assert len(slack.messages[ALERT_CHANNEL]) == 1


async def calls_settle(bot: Bot, slack: FakeSlack, method: str, count: int) -> None:
    """`count` calls of `method` made, and the work of the clicks behind them finished."""
    await slack.wait_for(method, count, timeout=10)
    assert await bot.runtime.in_flight.drained(timeout=10)
    await asyncio.sleep(0.1)


async def test_a_thank_you_slack_refuses_does_not_cost_the_alert(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    # A short outage on chat.update: the client retries twice, then gives up.
    slack.fail_next("chat.update", count=3, status=503, error="service_unavailable")
    await bot.send_interaction(score_click(d, 1))
    await calls_settle(bot, slack, "chat.update", 3)
    (alert,) = slack.messages[ALERT_CHANNEL]
    assert "1 · Very dissatisfied" in everything_posted(alert)


async def test_an_alert_whose_post_failed_is_posted_with_the_follow_up(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    slack.fail_next("chat.postMessage", count=3, status=503, error="service_unavailable")
    await bot.send_interaction(score_click(d, 1))
    await slack.wait_for("views.open")
    await calls_settle(bot, slack, "chat.postMessage", 4)  # the survey, then 3 failed alert posts
    assert ALERT_CHANNEL not in slack.messages
    # Slack is back; the customer sends the follow-up form.
    await bot.send_interaction(
        view_submission(slack.views[-1], reasons=["slow_response"], comment="No answer for days")
    )
    await calls_settle(bot, slack, "chat.postMessage", 5)
    (alert,) = slack.messages[ALERT_CHANNEL]
    assert "No answer for days" in everything_posted(alert)


async def test_kudos_go_once_even_when_the_praise_is_given_again(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    await bot.send_interaction(score_click(d, 5))
    await slack.wait_for("views.open")
    await bot.send_interaction(view_submission(slack.views[-1], comment="Ana was great"))
    await slack.wait_for("conversations.open")
    # A change of mind and back clears the comment; the same praise comes again.
    # One after the other, as a person clicks: the 4 is handled before the 5 arrives.
    await bot.send_interaction(score_click(d, 4))
    assert await bot.runtime.in_flight.drained(timeout=10)
    await bot.send_interaction(score_click(d, 5))
    await slack.wait_for("views.open", 2)
    await bot.send_interaction(view_submission(slack.views[-1], comment="Ana was great"))
    assert await bot.runtime.in_flight.drained(timeout=10)
    kudos = [m for channel, ms in slack.messages.items() if channel.startswith("D") for m in ms]
    assert len([m for m in kudos if "Kudos" in m.get("text", "")]) == 1


async def test_an_alert_updated_again_and_again_asks_slack_for_name_and_link_once(
    bot: Bot, slack: FakeSlack
) -> None:
    await low_score_with_alert(bot, slack)
    await bot.send_interaction(view_submission(slack.views[-1], comment="Too slow"))
    await wait_until(lambda: "Too slow" in everything_posted(alert_message(slack)))
    claim = block_actions(
        channel=ALERT_CHANNEL, message=alert_message(slack), action_id="alert_claim", user=LEAD
    )
    await bot.send_interaction(claim)
    await wait_until(lambda: "is following up" in everything_posted(alert_message(slack)))
    customer_lookups = [c for c in slack.called("users.info") if c.args["user"] == CUSTOMER]
    assert len(customer_lookups) == 1  # the dispatcher's, reused by every alert update
    assert len(slack.called("chat.getPermalink")) == 1
