"""Run the fake Slack Web API on its own, for the local demo.

    python -m sandbox --port 8081

Then point the bot at it with ``AsyncWebClient(base_url="http://127.0.0.1:8081/api/")``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from sandbox.fake_slack import FakeSlack


async def serve(host: str, port: int) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    slack = FakeSlack()
    await slack.start(host, port)
    try:
        print(f"fake Slack Web API listening at {slack.api_url}", flush=True)
        await stopping.wait()
    finally:
        await slack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake Slack Web API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
