"""`surveybot demo`: the real bot against a fake Slack workspace on this machine.

It plays one support week in a minute: a customer asks, an agent closes, the
customer answers unhappily, the alert goes up, a helpdesk close turns into praise
and kudos, the week's digest is printed, and the team lead opens the Home tab.
Everything goes over HTTP exactly as it would with Slack; only the workspace is pretend.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot import ids
from bot.app import until_stopped
from bot.clock import utcnow
from bot.digest_job import render_dry_run
from bot.services import Services
from bot.teams import parse_teams
from sandbox import payloads
from sandbox.fake_slack import FakeSlack
from sandbox.local_bot import local_bot
from sandbox.signed import HelpdeskSender, SlackSender
from sandbox.transcript import message_as_text, view_as_text
from storage import surveys as survey_store
from storage.statuses import SurveyStatus

ANN, BO, CY, DI = "U0ANN", "U0BO", "U0CY", "U0DI"
SUPPORT, ALERTS, TEAM_CHANNEL = "C0SUPPORT", "C0ALERTS", "C0TEAM"
NAMES = {ANN: "Ann (customer)", BO: "Bo (agent)", CY: "Cy (customer)", DI: "Di (team lead)"}
CHANNEL_NAMES = {SUPPORT: "#support", ALERTS: "#support-alerts", TEAM_CHANNEL: "#support-team"}
WEBHOOK_SECRET = "demo-webhook-secret"

TEAMS = f"""
[[teams]]
language = "{{language}}"
name = "support"
support_channels = ["{SUPPORT}"]
alert_channel = "{ALERTS}"
digest_channel = "{TEAM_CHANNEL}"
timezone = "Europe/Berlin"
leads = ["{DI}"]
delay_minutes = 0   # the real default waits 5 minutes; the demo has no time to lose
quiet_hours = ""    # and it runs at any hour
"""

Say = Callable[[str], None]


def _indent(text: str) -> str:
    return textwrap.indent(text, "    │ ")


@dataclass
class Demo:
    slack: FakeSlack
    services: Services
    sender: SlackSender
    http: aiohttp.ClientSession
    bot_url: str
    say: Say
    teams_toml: str

    def show(self, where: str, message: dict[str, Any]) -> None:
        self.say(f"    {where}\n{_indent(message_as_text(message, NAMES))}")

    async def newest(self, channel: str, count: int) -> dict[str, Any]:
        for _ in range(250):
            posted = self.slack.messages.get(channel, [])
            if len(posted) >= count:
                return posted[count - 1]
            await asyncio.sleep(0.02)
        raise RuntimeError(f"the bot posted nothing new in {channel}")

    async def changed(self, channel: str, before: dict[str, Any]) -> dict[str, Any]:
        """The message once the bot has updated it."""
        for _ in range(250):
            now = self.slack.message(channel, before["ts"])
            if now.get("blocks") != before.get("blocks"):
                return now
            await asyncio.sleep(0.02)
        raise RuntimeError(f"the bot did not update its message in {channel}")

    async def settled(self, check: Callable[[], Awaitable[bool]]) -> None:
        for _ in range(250):
            if await check():
                return
            await asyncio.sleep(0.02)
        raise RuntimeError("the bot did not finish in time")

    async def survey_delivered(self) -> Any:
        async def delivered() -> bool:
            surveys = await survey_store.all_surveys(self.services.db)
            return bool(surveys) and surveys[-1].status == SurveyStatus.DELIVERED

        await self.settled(delivered)
        return (await survey_store.all_surveys(self.services.db))[-1]

    async def click(self, channel: str, message: dict[str, Any], action: str, user: str) -> None:
        await self.sender.interaction(
            payloads.block_actions(
                channel=channel,
                message=message,
                action_id=action,
                user=user,
                thread_ts=message.get("thread_ts"),
            )
        )

    async def play(self) -> None:
        say, slack = self.say, self.slack

        say("1. Ann asks for help in #support")
        root_ts = "1763900000.000100"
        slack.add_message(SUPPORT, root_ts, ANN, "My invoice shows the wrong VAT number.")
        say(_indent("Ann (customer): My invoice shows the wrong VAT number."))

        say("\n2. Bo sorts it out and closes the conversation with a ✅ reaction")
        await self.sender.event(
            payloads.reaction_added(
                user=BO, reaction="white_check_mark", channel=SUPPORT, ts=root_ts, item_user=ANN
            )
        )
        await slack.wait_for("chat.postEphemeral")
        self.show("only Bo sees, in #support:", slack.ephemerals[-1])

        say("\n3. The survey arrives in the thread")
        survey = await self.survey_delivered()
        message = slack.message(survey.channel_id, survey.message_ts)
        self.show("#support › thread:", message)

        say('\n4. Ann clicks "2 · Dissatisfied"')
        await self.click(SUPPORT, message, ids.survey_score_action(2), ANN)
        await slack.wait_for("views.open")
        await slack.wait_for("chat.update")
        self.show("the survey message becomes:", slack.message(SUPPORT, survey.message_ts))
        await slack.wait_for("chat.postEphemeral", 2)
        self.show("only Ann sees her score, in the thread:", slack.ephemerals[-1])
        form = view_as_text(slack.views[-1], NAMES)
        say(f"    and a form opens for Ann at once:\n{_indent(form)}")
        alert = await self.newest(ALERTS, 1)
        self.show("#support-alerts, within a second:", alert)

        say('\n5. Ann ticks "Slow response" and writes a sentence (with a sneaky <!channel>)')
        await self.sender.interaction(
            payloads.view_submission(
                slack.views[-1],
                user=ANN,
                reasons=["slow_response"],
                comment="It took two days to get an answer. <!channel> look at this!",
            )
        )
        alert = await self.changed(ALERTS, alert)
        self.show("the alert, updated in place (the <!channel> pings nobody):", alert)

        say('\n6. Bo clicks "I\'ll follow up"')
        await self.click(ALERTS, alert, ids.ALERT_CLAIM, BO)
        self.show("#support-alerts:", await self.changed(ALERTS, alert))

        say("\n7. A helpdesk (Zendesk, say) reports a closed conversation with Cy")
        body = (
            b'{"conversation_id": "ZD-4711", "customer": {"email": "cy@example.com"},'
            b' "agent": {"slack_user_id": "U0BO"}, "customer_value": 240}'
        )
        reply = await HelpdeskSender(self.http, self.bot_url, WEBHOOK_SECRET).closed(body)
        answer = json.dumps(reply.body)
        say(_indent(f"POST /webhooks/conversation-closed  ->  {reply.status} {answer}"))
        survey = await self.survey_delivered()
        message = slack.message(survey.channel_id, survey.message_ts)
        self.show("Cy's direct messages:", message)
        say('    Cy clicks "5 · Very satisfied" and writes what went well')
        await self.click(survey.channel_id, message, ids.survey_score_action(5), CY)
        await slack.wait_for("views.open", 2)
        await self.sender.interaction(
            payloads.view_submission(
                slack.views[-1], user=CY, comment="Bo explained everything clearly. Thank you!"
            )
        )
        kudos = await self.kudos_for(BO)
        self.show("Bo's direct messages:", kudos)

        now = utcnow()
        year, week, _ = now.astimezone(parse_teams(self.teams_toml).default.zone).isocalendar()
        say(f"\n8. The weekly digest (posted on Mondays; here a dry run of {year}-W{week:02d})")
        digest = await render_dry_run(
            self.services.db,
            self.services.teams,
            "support",
            f"{year}-W{week:02d}",
            now,
            self.services.customers,
        )
        say(_indent(digest.rstrip()))

        say("\n9. Di, the team lead, opens surveybot's Home tab in Slack")
        published = len(slack.called("views.publish"))
        await self.sender.event(payloads.app_home_opened(user=DI))
        await slack.wait_for("views.publish", published + 1)
        say(_indent(view_as_text(slack.home_tabs[DI], NAMES)))

    async def kudos_for(self, agent: str) -> dict[str, Any]:
        return await self.newest(await self.services.customers.dm_channel(agent), 1)


def teams_file(language: str) -> str:
    """The demo team, reading its alerts and digests in `language`."""
    return TEAMS.replace("{language}", language)


def _seed(slack: FakeSlack, language: str) -> None:
    # The pretend people's Slack profiles say `language`: their surveys come in it.
    slack.add_user(
        ANN, name="Ann Weber", email="ann@example.com", tz="Europe/Berlin", locale=language
    )
    slack.add_user(
        BO, name="Bo Lindqvist", email="bo@support.example", tz="Europe/Berlin", locale=language
    )
    slack.add_user(
        CY, name="Cy Okafor", email="cy@example.com", tz="America/New_York", locale=language
    )
    slack.add_user(
        DI, name="Di Moreau", email="di@support.example", tz="Europe/Berlin", locale=language
    )
    for channel, name in CHANNEL_NAMES.items():
        slack.add_channel(channel, name.lstrip("#"))


async def run_demo(
    *, port: int = 3000, keep_running: bool = True, say: Say = print, language: str = "en"
) -> None:
    """Play the demo; `language` is what the pretend customers and team read in Slack (the
    narrative around it stays English)."""
    with tempfile.TemporaryDirectory(prefix="surveybot-demo-") as folder:
        async with FakeSlack(bot_token="xoxb-demo") as slack, aiohttp.ClientSession() as http:
            _seed(slack, language)
            teams = teams_file(language)
            async with local_bot(
                slack, Path(folder), teams_toml=teams, port=port, webhook_secret=WEBHOOK_SECRET
            ) as bot:
                services, bot_url = bot.services, bot.url
                say(
                    "surveybot demo: the real bot, a pretend Slack workspace, nothing leaves "
                    "this machine.\n"
                )
                sender = SlackSender(http, bot_url, bot.signing_secret)
                await Demo(slack, services, sender, http, bot_url, say, teams).play()
                if keep_running:
                    say(_still_running(bot_url))
                    await until_stopped()


def _still_running(bot_url: str) -> str:
    return textwrap.dedent(
        f"""
        The demo bot is still running at {bot_url} (health: {bot_url}/healthz).
        Close another helpdesk conversation yourself:

          body='{{"conversation_id":"ZD-5000","customer":{{"slack_user_id":"{ANN}"}}}}'
          ts=$(date +%s)
          sig=$(printf '%s.%s' "$ts" "$body" \\
                | openssl dgst -sha256 -hmac {WEBHOOK_SECRET} | sed 's/^.* //')
          curl -s -X POST {bot_url}/webhooks/conversation-closed \\
               -H "X-Surveybot-Timestamp: $ts" -H "X-Surveybot-Signature: sha256=$sig" -d "$body"

        Ann was asked in the last 7 days, so this one answers "throttled". Ctrl-C stops the demo.
        """
    )
