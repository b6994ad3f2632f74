"""The browser sandbox in real Chromium: the whole story, clicked through as people would.

Uses Debian's `chromium` (Playwright's own browser download cannot work here). Without
it the test says what is missing and skips, except in CI, where it fails.
Screenshots of the survey, the alert, App Home and the digest go to
test-results/browser_sandbox/ (look at them after a change to the page).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from sandbox.browser.server import ALERTS, ANN, BO, DI, DIGEST, SUPPORT, browser_sandbox
from sandbox.local_bot import free_port
from tests.test_process import project_env, stop_with_sigterm

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-results" / "browser_sandbox"
CHROMIUM = os.environ.get("SURVEYBOT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAS_CHROMIUM = Path(CHROMIUM).exists()
WAIT = 10_000  # ms: the bot answers in well under a second; a loaded CI machine is slower

pytestmark = pytest.mark.timeout(240)


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAS_CHROMIUM:
        missing = f"no Chromium at {CHROMIUM}: `apt-get install chromium` (make test does as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        await launched.close()


async def act_as(page: Page, url: str, user: str, where: str = "") -> None:
    await page.context.add_cookies([{"name": "sandbox_user", "value": user, "url": url}])
    await page.goto(f"{url}/{where}")


async def test_the_whole_story_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with browser_sandbox(tmp_path, port=0) as url:
        page = await browser.new_page(viewport={"width": 1400, "height": 950})

        # 1. A customer asks in #support (switching person with the sidebar's picker).
        await page.goto(url)
        await page.select_option("#as", ANN)
        await expect(page.locator("nav")).to_contain_text("Ann Weber is a customer")
        await page.fill("main textarea[name=text]", "My invoice shows the wrong VAT number.")
        await page.click("main .composer button[type=submit]")
        question = page.locator("main .msg", has_text="wrong VAT number")
        await expect(question).to_be_visible(timeout=WAIT)

        # 2. An agent closes it with the close reaction; only they see the notice.
        await page.select_option("#as", BO)
        await expect(page.locator("nav")).to_contain_text("Bo Lindqvist is an agent")
        await question.get_by_role("button", name="React ✅").click()
        await expect(page.locator("main .ephemeral")).to_be_visible(timeout=WAIT)
        await expect(question.locator(".link")).to_have_text("1 reply", timeout=WAIT)
        await question.locator(".link").click()

        # 3. The customer opens the thread, clicks a low score and fills the form.
        await page.select_option("#as", ANN)
        survey = page.locator("aside .msg", has_text="How satisfied are you")
        await expect(survey).to_be_visible(timeout=WAIT)
        await survey.screenshot(path=SHOTS / "survey.png")
        await page.screenshot(path=SHOTS / "survey-page.png")
        await survey.get_by_role("button", name="2 · Dissatisfied").click()
        form = page.locator("#modal form")
        await expect(form).to_be_visible(timeout=WAIT)
        await form.get_by_label("Slow response").check()
        await form.locator("textarea").fill("Two days for a first answer.")
        await page.screenshot(path=SHOTS / "follow-up-form.png")
        await form.locator("button[type=submit]").click()
        await expect(form).to_be_hidden(timeout=WAIT)
        await expect(page.locator("aside")).to_contain_text("Only visible to you")

        # 4. The alert appears in #support-alerts, with what the customer wrote.
        await act_as(page, url, BO, f"?c={ALERTS}")
        alert = page.locator("main .msg", has_text="Low CSAT score")
        await expect(alert).to_contain_text("Two days for a first answer.", timeout=WAIT)
        await alert.screenshot(path=SHOTS / "alert.png")

        # 5. The agent claims it (and, once they have talked, resolves it).
        await alert.get_by_role("button", name="I'll follow up").click()
        await expect(alert).to_contain_text("Bo Lindqvist is following up", timeout=WAIT)
        await alert.get_by_role("button", name="Resolved").click()
        await expect(alert).to_contain_text("Resolved by @Bo Lindqvist", timeout=WAIT)

        # 6. The lead opens App Home and finds the answer counted, comment and all.
        await act_as(page, url, DI, "?c=home")
        home = page.locator("#home")
        await expect(home).to_contain_text("Two days for a first answer.", timeout=WAIT)
        await expect(home.locator(".b-chart").first).to_be_visible()
        await page.set_viewport_size({"width": 1400, "height": 2400})  # the whole Home
        await page.screenshot(path=SHOTS / "app-home.png")
        await page.set_viewport_size({"width": 1400, "height": 950})

        # ... and the team's settings, saved as they are.
        await home.get_by_role("button", name="Team settings").click()
        settings = page.locator("#modal form")
        await expect(settings).to_contain_text("Alert channel", timeout=WAIT)
        await page.screenshot(path=SHOTS / "team-settings.png")
        await settings.locator("button[type=submit]").click()
        await expect(settings).to_be_hidden(timeout=WAIT)

        # 7. The lead posts this week's digest.
        await page.get_by_role("button", name="Post this week's digest now").click()
        await page.goto(f"{url}/?c={DIGEST}")
        digest = page.locator("main .msg", has_text="Good news")
        await expect(digest).to_be_visible(timeout=WAIT)
        await expect(page.locator("main")).to_contain_text("Room to improve", timeout=WAIT)
        await page.set_viewport_size({"width": 1400, "height": 3000})  # both digests
        await page.screenshot(path=SHOTS / "digest.png")

        # Nothing the bot sent was refused, and the customer's question is still there.
        await expect(page.locator("#log .bad")).to_have_count(0)
        await page.goto(f"{url}/?c={SUPPORT}")
        await expect(page.locator("main")).to_contain_text("wrong VAT number")


async def test_make_run_without_credentials_prints_one_url_to_the_sandbox(tmp_path: Path) -> None:
    port = free_port()
    env = project_env(tmp_path, PORT=str(port))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--demo-if-unconfigured",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        said = ""
        while "Open http://127.0.0.1" not in said:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert line, f"the sandbox stopped before giving its URL:\n{said}"
            said += line.decode()
        assert "Missing: SLACK_BOT_TOKEN" in said  # it still says what a real start needs
        url = said.rsplit("Open ", 1)[1].split()[0]
        assert url == f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http, http.get(url) as page:
            assert page.status == 200
            assert "#&nbsp;support-alerts" in await page.text()
        out = await stop_with_sigterm(process)
        assert "Traceback" not in out
    finally:
        if process.returncode is None:
            process.kill()
