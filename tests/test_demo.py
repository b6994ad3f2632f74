"""The local demo plays a whole support week through the real bot."""

from __future__ import annotations

from pathlib import Path

from sandbox.demo import run_demo
from tests.test_process import project_env, run_cli


async def test_the_demo_walks_from_question_to_alert_kudos_and_digest() -> None:
    lines: list[str] = []
    await run_demo(port=0, keep_running=False, say=lines.append)
    shown = "\n".join(lines)
    assert "How satisfied are you with the help you received?" in shown
    assert "Thank you! Your answer was received." in shown
    assert "Your answer: *2 · Dissatisfied*. Only you can see this message." in shown
    assert "Low CSAT score: 2 · Dissatisfied" in shown
    assert "@Bo (agent) is following up" in shown
    assert '"status": "scheduled"' in shown
    assert "Kudos!" in shown and "Bo explained everything clearly" in shown
    assert "Digest for support" in shown
    # The digest names agents as the posted one does, never by raw Slack id.
    assert "Kudos to @Bo Lindqvist" in shown and "@U0" not in shown
    # The lead's Home tab: the team's figures, its open alert, and the way to its settings.
    assert "opens surveybot's Home tab" in shown
    assert "== support: CSAT ==" in shown and "[ Team settings ]" in shown
    assert "*Open alerts* (1, oldest first)" in shown


async def test_surveybot_demo_once_runs_and_exits(tmp_path: Path) -> None:
    code, out = await run_cli(
        "demo", "--once", "--port", "0", cwd=tmp_path, env=project_env(tmp_path)
    )
    assert code == 0, out
    assert "surveybot demo" in out and "Digest for support" in out
    assert "Traceback" not in out and "level=INFO" not in out


async def test_the_demo_plays_in_italian_for_customers_and_team() -> None:
    lines: list[str] = []
    await run_demo(port=0, keep_running=False, say=lines.append, language="it")
    shown = "\n".join(lines)
    # What Slack shows is Italian: the survey, the thank-you, the alert and the digest.
    assert "Qual è il suo livello di soddisfazione per l’assistenza ricevuta?" in shown
    assert "Punteggio CSAT basso: 2 · " in shown
    assert "[ Impostazioni del team ]" in shown  # the lead's Home, in the team's language
    assert "Complimenti!" in shown and "Buone notizie" in shown
    assert "How satisfied are you" not in shown and "Low CSAT score" not in shown


async def test_surveybot_demo_takes_a_language(tmp_path: Path) -> None:
    code, out = await run_cli(
        "demo", "--once", "--port", "0", "--language", "pl", cwd=tmp_path, env=project_env(tmp_path)
    )
    assert code == 0, out
    assert "Jak bardzo jesteś zadowolony(-a) z otrzymanej pomocy?" in out
    assert "Dobre wieści" in out and "Traceback" not in out
