"""A fake Slack Web API for tests, benchmarks and the sandbox, by concern:

- `server`: FakeSlack, the HTTP server, which workspace a token names, the recording;
- `workspace` / `world`: world state, one Workspace each (team, bot, people, channels);
- `auth`, `chat`, `conversations`, `users`, `views`, `files`: the Web API by family;
- `socket_mode`: the app's websocket; `faults`: failures, rate tiers, slow answers;
- `response_urls`: a click's response_url (5 uses in 30 minutes).
"""

from sandbox.fake_slack.calls import Call, SlackError
from sandbox.fake_slack.faults import SLACK_TIERS
from sandbox.fake_slack.server import FakeSlack
from sandbox.fake_slack.workspace import Workspace

__all__ = ["SLACK_TIERS", "Call", "FakeSlack", "SlackError", "Workspace"]
