"""Slack's side: the paced client, requests and ids, people, the token's workspace."""
