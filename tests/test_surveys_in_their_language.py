"""Every customer is asked in their own language: through the real bot, against the fake Slack."""

from __future__ import annotations

from typing import Any

from sandbox import FakeSlack
from tests.answering import close_by_reaction, delivered_survey, score_click
from tests.harness import AGENT, CUSTOMER, SUPPORT_CHANNEL, TEAMS_TOML, Bot, running_bot

ROOT_TS = "1763900000.000100"


def closed(conversation_id: str, customer: str, **extra: Any) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "customer": {"slack_user_id": customer},
        "agent": {"slack_user_id": AGENT},
        **extra,
    }


def buttons(message: dict[str, Any]) -> list[str]:
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    return [element["text"]["text"] for element in actions["elements"]]


async def survey_for(bot: Bot, slack: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    """Close a conversation by webhook and return the survey the customer was sent."""
    before = len(slack.called("chat.postMessage"))
    status, answer = await bot.send_webhook(body)
    assert (status, answer["status"]) == (202, "scheduled")
    posts = await slack.wait_for("chat.postMessage", count=before + 1)
    return posts[-1].args


async def test_each_customer_is_asked_in_their_slack_language(bot: Bot, slack: FakeSlack) -> None:
    expected = {
        "de-DE": (
            "Wie zufrieden sind Sie mit der Hilfe, die Sie erhalten haben?",
            "Sehr zufrieden",
        ),
        "ja-JP": ("今回のサポートにどの程度満足されましたか？", "非常に満足"),
        "pt-PT": (
            "Qual é o seu nível de satisfação com o atendimento que você recebeu?",
            "Muito satisfeito",
        ),
        "zh-TW": ("您对本次获得的帮助有多满意？", "非常满意"),
        "es-MX": ("¿Cuál es su grado de satisfacción con la ayuda que recibió?", "Muy satisfecho"),
        "ko-KR": ("How satisfied are you with the help you received?", "Very satisfied"),
    }
    for n, (locale, (question, best)) in enumerate(expected.items()):
        customer = f"U0LANG{n}"
        slack.add_user(customer, name=f"customer{n}", locale=locale)
        survey = await survey_for(bot, slack, closed(f"ZD-{n}", customer))
        assert survey["text"] == question, locale
        assert buttons(survey)[-1].startswith(f"5 · {best}"), locale

    # The bot asked Slack for the locale; Slack sends none otherwise.
    lookups = slack.called("users.info")
    assert lookups and all(call.args.get("include_locale") for call in lookups)


async def test_the_helpdesks_locale_wins_over_slacks(bot: Bot, slack: FakeSlack) -> None:
    slack.add_user("U0ANNA", name="anna", locale="de-DE")
    survey = await survey_for(bot, slack, closed("ZD-1", "U0ANNA", locale="it-IT"))
    assert survey["text"] == "Qual è il suo livello di soddisfazione per l’assistenza ricevuta?"
    assert "Riguardo alla sua richiesta di assistenza *ZD-1*" in str(survey["blocks"])


async def test_a_helpdesk_locale_we_do_not_ship_falls_back_to_slacks(
    bot: Bot, slack: FakeSlack
) -> None:
    slack.add_user("U0PIOTR", name="piotr", locale="pl-PL")
    survey = await survey_for(bot, slack, closed("ZD-2", "U0PIOTR", locale="ko-KR", survey="ces"))
    assert survey["text"] == "Jak łatwo było rozwiązać Twoją sprawę?"
    assert buttons(survey)[0] == "1 · Bardzo trudno"


async def test_a_thread_survey_speaks_the_customers_language(bot: Bot, slack: FakeSlack) -> None:
    slack.add_user(CUSTOMER, name="ann", locale="ja-JP")
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "請求書が間違っています")
    await close_by_reaction(bot)
    (post,) = await slack.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == ROOT_TS
    assert post.args["text"] == "今回のサポートにどの程度満足されましたか？"


async def test_the_teams_language_is_used_when_slack_has_none_we_ship(
    slack: FakeSlack, sqlite_url: str
) -> None:
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML + 'language = "fr"\n') as bot:
        slack.add_user("U0KIM", name="kim", locale="ko-KR")
        survey = await survey_for(bot, slack, closed("ZD-3", "U0KIM", team="support"))
    assert survey["text"] == "Quel est votre niveau de satisfaction concernant l’aide reçue\u00a0?"


async def test_the_language_slack_gave_stays_for_the_thank_you_and_the_form(
    bot: Bot, slack: FakeSlack
) -> None:
    """No webhook locale, team language English, Slack says Polish: the whole exchange is
    Polish, though the click and the form never ask Slack for the locale again."""
    slack.add_user(CUSTOMER, name="ann", locale="pl-PL")
    d = await delivered_survey(bot, slack, source="webhook")
    assert d.survey.locale == "pl-PL"
    assert d.message["text"] == "Jak bardzo jesteś zadowolony(-a) z otrzymanej pomocy?"

    await bot.send_interaction(score_click(d, 1))
    (opened,) = await slack.wait_for("views.open")
    form = opened.args["view"]
    (update,) = await slack.wait_for("chat.update")
    assert "Dziękujemy! Twoja odpowiedź: *1 · Bardzo niezadowolony(-a)*" in str(
        update.args["blocks"]
    )
    assert form["title"]["text"] == "Co możemy poprawić?"
    reasons = next(b for b in form["blocks"] if b.get("block_id") == "follow_up_reasons")
    assert reasons["element"]["options"][0]["text"]["text"] == "Długi czas odpowiedzi"
