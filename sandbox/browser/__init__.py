"""The browser sandbox: a pretend Slack in a web page, drawn from the bot's Block Kit."""
