"""`make run` without credentials: the real bot, a fake Slack, and a page to click through.

    python -m sandbox.browser            # or `surveybot serve --demo-if-unconfigured`

Everything listens on 127.0.0.1. The page is drawn on the server from the Block Kit the
bot sent; htmx (one vendored file) posts clicks and forms and polls for what changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aiohttp
from aiohttp import web

from bot.app import serving, until_stopped
from bot.clock import utcnow
from bot.digest.compose import covered_week
from bot.digest.job import post_team_digest
from bot.slack.ids import SHORTCUT_CLOSE_AND_SURVEY
from sandbox.browser import pages
from sandbox.browser.session import Person, Session
from sandbox.fake_slack import FakeSlack
from sandbox.history import seed_weeks
from sandbox.local_bot import local_bot
from sandbox.signed import SlackSender

log = logging.getLogger(__name__)

STATIC: Final = Path(__file__).parent / "static"
SUPPORT, ALERTS, DIGEST = "C0SUPPORT", "C0ALERTS", "C0DIGEST"
CHANNELS: Final = {SUPPORT: "support", ALERTS: "support-alerts", DIGEST: "support-digest"}
ANN, CY, BO, EVA, DI = "U0ANN", "U0CY", "U0BO", "U0EVA", "U0DI"
CAST: Final = (
    Person(ANN, "Ann Weber", "customer", "ann@example.com"),
    Person(CY, "Cy Okafor", "customer", "cy@example.com", "America/New_York"),
    Person(BO, "Bo Lindqvist", "agent", "bo@support.example"),
    Person(EVA, "Eva Rossi", "agent", "eva@support.example", "Europe/Rome"),
    Person(DI, "Di Moreau", "team lead", "di@support.example"),
)
# The customers of the seeded weeks, so that every name in the history reads as a person.
PAST_CUSTOMERS: Final = tuple(
    (f"U0PAST{i:02d}", name)
    for i, name in enumerate(
        [
            "Noor Haddad",
            "Li Wei",
            "Marta Nowak",
            "Olu Adeyemi",
            "Sara Lind",
            "Tom Becker",
            "Ines Costa",
            "Yuki Tanaka",
            "Raj Patel",
            "Eli Cohen",
            "Ana Lima",
            "Jon Berg",
        ]
    )
)
# Their companies, as a helpdesk's webhook names them (Jon Berg and Ana Lima write from
# no company anyone knows).
COMPANIES: Final = (
    ("helpdesk:northwind", "Northwind Traders"),
    ("helpdesk:globex", "Globex"),
    ("helpdesk:initech", "Initech"),
    ("helpdesk:umbrella", "Umbrella Health"),
)
PAST_ACCOUNTS: Final = {
    user_id: COMPANIES[i % len(COMPANIES)] for i, (user_id, _) in enumerate(PAST_CUSTOMERS[:10])
}
TEAMS: Final = f"""
[[teams]]
name = "support"
support_channels = ["{SUPPORT}"]
alert_channel = "{ALERTS}"
digest_channel = "{DIGEST}"
timezone = "Europe/Berlin"
leads = ["{DI}"]
delay_minutes = 0   # the real default waits 5 minutes; here you want to see it at once
quiet_hours = ""    # and you may try it at any hour
"""
COOKIE: Final = "sandbox_user"


def seed_slack(slack: FakeSlack) -> None:
    """The pretend workspace: its people and its three channels."""
    slack.default.name = "Acme Support (sandbox)"
    for person in CAST:
        slack.add_user(person.user_id, name=person.name, email=person.email, tz=person.tz)
    for user_id, name in PAST_CUSTOMERS:
        slack.add_user(user_id, name=name, email=f"{user_id.lower()}@example.com")
    for channel, name in CHANNELS.items():
        slack.add_channel(channel, name)


@dataclass
class Routes:
    session: Session
    post_digest: Callable[[], Awaitable[int]]

    def user(self, request: web.Request) -> str:
        chosen = request.cookies.get(COOKIE, "")
        return chosen if any(p.user_id == chosen for p in CAST) else CAST[0].user_id

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.index)
        app.router.add_get("/live", self.live)
        app.router.add_get("/modal", self.modal)
        app.router.add_get("/files/{file_id}", self.file)
        app.router.add_static("/static", STATIC)
        for path, handler in (
            ("/as", self.act_as),
            ("/post", self.post),
            ("/react", self.react),
            ("/shortcut", self.shortcut),
            ("/act", self.act),
            ("/submit", self.submit),
            ("/close", self.close),
            ("/home-open", self.home_open),
            ("/digest", self.digest),
        ):
            app.router.add_post(path, handler)
        return app

    @staticmethod
    def _where(request: web.Request) -> tuple[str, str | None]:
        return request.query.get("c", SUPPORT), request.query.get("t") or None

    async def index(self, request: web.Request) -> web.Response:
        channel, thread = self._where(request)
        html = pages.page(self.session, self.user(request), channel, thread)
        return web.Response(text=html, content_type="text/html")

    async def live(self, request: web.Request) -> web.Response:
        if request.query.get("v") == str(self.session.version):
            await self.session.wait_change(self.session.version, 0.5)
            if request.query.get("v") == str(self.session.version):
                return web.Response(status=204)
        channel, thread = self._where(request)
        html = pages.live(self.session, self.user(request), channel, thread)
        return web.Response(text=html, content_type="text/html")

    async def modal(self, request: web.Request) -> web.Response:
        user = self.user(request)
        if request.query.get("k", "") == pages.modal_key(self.session, user):
            return web.Response(status=204)
        return web.Response(text=pages.modal(self.session, user), content_type="text/html")

    async def file(self, request: web.Request) -> web.Response:
        wanted = request.match_info["file_id"]
        for upload in self.session.ws.uploads:
            if upload["file_id"] == wanted:
                return web.Response(body=upload["content"], content_type="image/png")
        raise web.HTTPNotFound()

    async def act_as(self, request: web.Request) -> web.Response:
        form = await request.post()
        response = web.Response(status=204, headers={"HX-Refresh": "true"})
        response.set_cookie(COOKIE, str(form.get("user", "")), samesite="Lax")
        return response

    async def post(self, request: web.Request) -> web.Response:
        form = await request.post()
        text = str(form.get("text", "")).strip()
        if text:
            thread = str(form.get("thread_ts", "")) or None
            await self.session.post(self.user(request), str(form["channel"]), text, thread)
        return web.Response(status=204)

    async def react(self, request: web.Request) -> web.Response:
        form = await request.post()
        await self.session.react(
            self.user(request), str(form["channel"]), str(form["ts"]), str(form["name"])
        )
        return web.Response(status=204)

    async def shortcut(self, request: web.Request) -> web.Response:
        form = await request.post()
        await self.session.shortcut(
            self.user(request), str(form["channel"]), str(form["ts"]), SHORTCUT_CLOSE_AND_SURVEY
        )
        return web.Response(status=204)

    async def _form(self, request: web.Request) -> dict[str, list[str]]:
        form = await request.post()
        return {key: [str(v) for v in form.getall(key)] for key in set(form.keys())}

    async def act(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        vals = {k: v[0] for k, v in form.items() if v and "|" not in k}
        await self.session.act(self.user(request), vals, form)
        return web.Response(status=204)

    async def submit(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        await self.session.submit(self.user(request), form.pop("view_id")[0], form)
        return web.Response(status=204)

    async def close(self, request: web.Request) -> web.Response:
        form = await request.post()
        await self.session.close(self.user(request), str(form["view_id"]))
        return web.Response(status=204)

    async def home_open(self, request: web.Request) -> web.Response:
        await self.session.open_home(self.user(request))
        return web.Response(status=204)

    async def digest(self, request: web.Request) -> web.Response:
        posts = await self.post_digest()
        self.session.note(f"this week's digest posted by hand: {posts} message(s)")
        return web.Response(status=204)


@contextlib.asynccontextmanager
async def browser_sandbox(folder: Path, *, port: int = 0) -> AsyncIterator[str]:
    """The bot, the fake Slack with eight weeks of history, and the page; yields its URL."""
    async with FakeSlack(bot_token="xoxb-sandbox") as slack, aiohttp.ClientSession() as http:
        seed_slack(slack)
        async with local_bot(slack, folder, teams_toml=TEAMS) as bot:
            ctx = bot.workspace
            await seed_weeks(
                ctx.db,
                now=utcnow(),
                agents=(BO, EVA),
                customers=tuple(user for user, _ in PAST_CUSTOMERS),
                names={p.user_id: p.name.split()[0] for p in CAST},
                accounts=PAST_ACCOUNTS,
            )
            sender = SlackSender(http, bot.url, bot.signing_secret)
            session = Session(slack, sender, CAST, dict(CHANNELS))

            async def post_digest() -> int:
                # The team as saved now (App Home may have changed it in the sandbox).
                team = ctx.teams.default
                period = covered_week(ctx.now(), team.zone)
                return await post_team_digest(ctx, team, period, by_hand=True)

            routes = Routes(session, post_digest)
            async with serving(
                routes.app(), "127.0.0.1", port, any_port_if_taken=True, log_requests=False
            ) as url:
                yield url


async def run_sandbox(*, port: int = 3000, say: Callable[[str], None] = print) -> None:
    with tempfile.TemporaryDirectory(prefix="surveybot-sandbox-") as folder:
        async with browser_sandbox(Path(folder), port=port) as url:
            say(
                "surveybot sandbox: the real bot and a pretend Slack workspace, on this machine "
                f"only.\nOpen {url} (Ctrl-C stops it)."
            )
            await until_stopped()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run_sandbox(port=int(os.environ.get("PORT", "3000"))))


if __name__ == "__main__":
    main()
