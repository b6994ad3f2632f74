"""Settings from the environment and a `.env` file (the external contract's names)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./surveybot.db"

# Request size limits: a larger body is answered 413 and never parsed.
SLACK_REQUEST_MAX_BYTES = 256 * 1024  # POST /slack/events: Slack's payloads are small
WEBHOOK_BODY_MAX_BYTES = 64 * 1024  # POST /webhooks/conversation-closed: one close
# Intercom and Help Scout send the whole conversation, its parts included.
HELPDESK_BODY_MAX_BYTES = 1024 * 1024


# All three, or none: Slack's OAuth install flow (many workspaces).
OAUTH_SETTINGS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # Many workspaces: all three turn on Slack's OAuth install flow (/slack/install), and
    # each workspace's token comes from its installation instead of SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_state_secret: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    webhook_secret: str | None = Field(
        default=None, validation_alias=AliasChoices("SURVEYBOT_WEBHOOK_SECRET", "webhook_secret")
    )
    # The helpdesks' own endpoints (/webhooks/<helpdesk>), each with its vendor's secret.
    zendesk_secret: str | None = Field(
        default=None, validation_alias=AliasChoices("SURVEYBOT_ZENDESK_SECRET", "zendesk_secret")
    )
    intercom_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SURVEYBOT_INTERCOM_SECRET", "intercom_secret"),
    )
    helpscout_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SURVEYBOT_HELPSCOUT_SECRET", "helpscout_secret"),
    )
    freshdesk_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SURVEYBOT_FRESHDESK_TOKEN", "freshdesk_token")
    )
    config_path: Path | None = Field(
        default=None, validation_alias=AliasChoices("SURVEYBOT_CONFIG", "config_path")
    )
    # Slack's requests and the helpdesk webhooks; also /healthz, and /metrics unless
    # SURVEYBOT_METRICS_PORT gives it a listener of its own.
    port: int = Field(default=3000, ge=1, le=65535)
    host: str = Field(
        default="0.0.0.0", validation_alias=AliasChoices("SURVEYBOT_HOST", "host"), min_length=1
    )
    # /metrics (and /healthz) on their own port, bound to SURVEYBOT_METRICS_HOST, so the
    # scrape stays inside the machine while PORT faces the proxy.
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("SURVEYBOT_METRICS_PORT", "metrics_port"),
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        validation_alias=AliasChoices("SURVEYBOT_METRICS_HOST", "metrics_host"),
    )
    # How often the dispatcher looks for due surveys; tests shorten it.
    dispatch_interval_seconds: float = Field(
        default=15.0,
        validation_alias=AliasChoices("SURVEYBOT_DISPATCH_INTERVAL", "dispatch_interval_seconds"),
    )
    # How often surveys past their expiry are closed (their buttons removed); tests shorten it.
    expiry_interval_seconds: float = Field(
        default=60.0,
        validation_alias=AliasChoices("SURVEYBOT_EXPIRY_INTERVAL", "expiry_interval_seconds"),
    )
    # Seconds after start before each team's digest job first runs, to catch up a week's
    # digest missed while the bot was down; surveys go out first. Tests set 0.
    digest_catch_up_seconds: float = Field(
        default=60.0,
        validation_alias=AliasChoices("SURVEYBOT_DIGEST_CATCH_UP", "digest_catch_up_seconds"),
    )
    # Attempts before a survey Slack refused with an unknown error is marked failed.
    # Transient errors (5xx, 429, timeouts, connection) retry until the survey expires;
    # known permanent ones fail at once.
    max_delivery_attempts: int = Field(
        default=5,
        validation_alias=AliasChoices("SURVEYBOT_MAX_ATTEMPTS", "max_delivery_attempts"),
    )
    # The first retry's delay; each next one doubles, up to an hour.
    retry_first_seconds: float = Field(
        default=5.0,
        validation_alias=AliasChoices("SURVEYBOT_RETRY_FIRST_SECONDS", "retry_first_seconds"),
    )
    # How long a claimed survey is its sender's; when it runs out (the sender died),
    # another claim checks Slack for the post before sending again.
    claim_lease_seconds: float = Field(
        default=300.0,
        gt=0,
        validation_alias=AliasChoices("SURVEYBOT_CLAIM_LEASE_SECONDS", "claim_lease_seconds"),
    )
    # Surveys delivered at once (each paced to Slack's tiers anyway).
    dispatch_concurrency: int = Field(
        default=16,
        ge=1,
        le=64,
        validation_alias=AliasChoices("SURVEYBOT_DISPATCH_CONCURRENCY", "dispatch_concurrency"),
    )
    # conversations.history / .replies per minute: Tier 3 (50) for an app built for its
    # own workspace; 1 for a commercially distributed app outside the Marketplace.
    history_per_minute: int = Field(
        default=50,
        ge=1,
        validation_alias=AliasChoices("SURVEYBOT_HISTORY_PER_MINUTE", "history_per_minute"),
    )
    # Runs Slack's minute faster in the pacer (benchmarks and tests against a fake
    # Slack with the same compression); 1 against the real Slack.
    pace_compression: float = Field(
        default=1.0,
        gt=0,
        validation_alias=AliasChoices("SURVEYBOT_PACE_COMPRESSION", "pace_compression"),
    )

    # Backoff factor of slack_sdk's retries of connection errors and 5xx: waits this times
    # 2**attempt, plus up to twice this at random. A 429 waits its Retry-After regardless.
    slack_retry_backoff_seconds: float = Field(
        default=0.5,
        ge=0,
        validation_alias=AliasChoices(
            "SURVEYBOT_SLACK_RETRY_BACKOFF", "slack_retry_backoff_seconds"
        ),
    )

    # How often /healthz asks Slack whether the token still works; tests shorten it.
    token_recheck_seconds: float = Field(
        default=60.0,
        validation_alias=AliasChoices("SURVEYBOT_TOKEN_RECHECK", "token_recheck_seconds"),
    )

    # At most one App Home publish per person in this many seconds: a busy hour of
    # answers stays within views.publish's limit (Tier 4). Tests shorten it.
    home_refresh_seconds: float = Field(
        default=15.0,
        validation_alias=AliasChoices("SURVEYBOT_HOME_REFRESH", "home_refresh_seconds"),
    )

    def helpdesk_secret(self, helpdesk: str) -> str | None:
        """The secret a helpdesk's own endpoint checks its requests with."""
        return {
            "zendesk": self.zendesk_secret,
            "intercom": self.intercom_secret,
            "helpscout": self.helpscout_secret,
            "freshdesk": self.freshdesk_token,
        }.get(helpdesk)

    @field_validator("slack_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("not an http(s) URL")
        return value.strip()

    @model_validator(mode="after")
    def _all_of_oauth_or_none(self) -> Settings:
        missing = self._missing(*OAUTH_SETTINGS)
        if missing and len(missing) < len(OAUTH_SETTINGS):
            given = [name for name in OAUTH_SETTINGS if name not in missing]
            raise ValueError(
                f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} set but "
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not: "
                f"installing through Slack's OAuth flow needs all three of "
                f"{', '.join(OAUTH_SETTINGS)} (or none, for one workspace with SLACK_BOT_TOKEN)"
            )
        return self

    @property
    def oauth(self) -> bool:
        """Many workspaces, each installed through /slack/install (all three are set)."""
        return not self._missing(*OAUTH_SETTINGS)

    def _missing(self, *names: str) -> list[str]:
        return [name for name in names if not getattr(self, name.lower())]

    def missing_for_http(self) -> list[str]:
        # OAuth mode finds each workspace's token in its installation instead.
        if self.oauth:
            return self._missing("SLACK_SIGNING_SECRET")
        return self._missing("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")

    def app_token_problem(self) -> str | None:
        """Socket Mode connects with an app-level token; a bot token would retry forever."""
        token = self.slack_app_token or ""
        if token.startswith("xapp-"):
            return None
        kind = "a bot token (xoxb-…)" if token.startswith("xoxb-") else "not an app-level token"
        return (
            f"SLACK_APP_TOKEN is {kind}: Socket Mode needs the app-level token (xapp-…) "
            "from Basic Information -> App-Level Tokens, with the connections:write scope"
        )

    def prefers_socket_mode(self) -> bool:
        """An app-level token and no signing secret: the README's Socket Mode set-up."""
        return bool(self.slack_app_token) and not self.slack_signing_secret

    def missing_for_socket_mode(self) -> list[str]:
        return self._missing("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")

    @property
    def api_url(self) -> str:
        # slack_sdk joins method names onto the base URL, so it needs the trailing slash.
        return self.slack_api_url if self.slack_api_url.endswith("/") else self.slack_api_url + "/"


# The environment variable behind each setting, for messages to the operator.
_ENVIRONMENT_NAMES = {
    name: next(
        (
            alias
            for alias in getattr(info.validation_alias, "choices", ())
            if isinstance(alias, str) and alias.isupper()
        ),
        name.upper(),
    )
    for name, info in Settings.model_fields.items()
}

# What a value must look like, for the settings an operator most often gets wrong.
_EXPECTED = {
    "PORT": "a port number: give one from 1 to 65535, for example PORT=3000",
    "SURVEYBOT_METRICS_PORT": "a port number: give one from 1 to 65535, for example 9100",
    "SLACK_API_URL": (
        "an http(s) URL: leave it unset for Slack (https://slack.com/api/), or give "
        "https://slack-gov.com/api/ for GovSlack"
    ),
}


def setting_problem(error: ValidationError) -> str:
    """One sentence naming the environment variable, its value and what it should be."""
    item = error.errors()[0]
    if not item["loc"]:  # a rule across settings: its message names them
        return str(item["msg"]).removeprefix("Value error, ")
    field = str(item["loc"][0])
    name = _ENVIRONMENT_NAMES.get(field, field.upper())
    value = item.get("input")
    if name in _EXPECTED:
        return f"{name}={value!r} is not {_EXPECTED[name]}"
    return f"{name}={value!r}: {item['msg'].removeprefix('Value error, ')}"
