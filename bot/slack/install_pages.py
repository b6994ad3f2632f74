"""The pages a person sees while installing surveybot: "Add to Slack", then what's next
or what went wrong. Pure: plain values in, HTML out; everything from Slack is escaped."""

from __future__ import annotations

from html import escape

# Where an org-wide install's admin adds the app to the org's workspaces (Slack's docs:
# "Deploying apps to Enterprise organizations").
ADD_TO_WORKSPACES_URL = (
    "https://app.slack.com/manage/{enterprise_id}/integrations/profile/{app_id}/workspaces/add"
)

# bolt's failure reasons (and Slack's `error` on the redirect), in a person's words.
_FAILURES = {
    "access_denied": "The installation was cancelled on Slack's page, so nothing was installed.",
    "invalid_browser": (
        "This browser did not start the installation (its cookie from the install page is "
        "missing), so it was not finished. Start again from the install page in this browser."
    ),
    "invalid_state": (
        "The installation link has expired or was already used. Links work once, for ten minutes."
    ),
    "missing_code": "Slack's answer carried no installation code, so nothing was installed.",
    "invalid_code": (
        "Slack did not accept the installation code (it may have been used already, or the "
        "app's credentials are wrong), so nothing was installed."
    ),
    "storage_error": "The installation could not be saved. Please try again in a minute.",
}

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #1d1c1d;
       line-height: 1.5; }
h1 { font-size: 1.6rem; }
a.button { display: inline-block; padding: .6rem 1.2rem; border-radius: 6px;
           background: #4a154b; color: #fff; text-decoration: none; font-weight: 600; }
li { margin: .3rem 0; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<link rel="icon" href="data:,">\n<title>{escape(title)}</title>\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{escape(title)}</h1>\n{body}\n"
        "</body>\n</html>\n"
    )


def install_page(authorize_url: str) -> str:
    return _page(
        "Install surveybot",
        "<p>surveybot asks your customers how their support went, right after each "
        "conversation closes, and tells your team what they said.</p>\n"
        f'<p><a class="button" href="{escape(authorize_url)}">Add to Slack</a></p>',
    )


def installed_page(workspace_name: str | None, *, add_to_workspaces: str | None = None) -> str:
    """What to do next. `add_to_workspaces`: an org-wide install's link to pick workspaces."""
    where = escape(workspace_name) if workspace_name else "your workspace"
    steps = [
        "Invite <b>@surveybot</b> to your support channels: <code>/invite @surveybot</code>.",
        "Open surveybot's <b>App Home</b> in Slack.",
        "Set up your support teams there, in <b>Team settings</b>.",
    ]
    if add_to_workspaces is not None:
        steps.insert(
            0,
            "surveybot is installed for the whole organization but not yet in any "
            f'workspace: <a href="{escape(add_to_workspaces)}">add it to your workspaces</a>.',
        )
    items = "\n".join(f"<li>{step}</li>" for step in steps)
    return _page(
        "surveybot is installed",
        f"<p>surveybot is now installed in {where}. Next:</p>\n<ol>\n{items}\n</ol>",
    )


def failed_page(reason: str, install_path: str) -> str:
    sentence = _FAILURES.get(
        reason, f"Slack ended the installation with the error {reason!r}; nothing was installed."
    )
    return _page(
        "surveybot was not installed",
        f"<p>{escape(sentence)}</p>\n"
        f'<p><a class="button" href="{escape(install_path)}">Try again</a></p>',
    )
