"""Accounts: the customer's company, and how each account is doing.

naming: which company a customer belongs to (the helpdesk's account, their Slack
Connect company, their email's domain, never a public mail provider); health: the pure
rules of account health and accounts at risk; figures: gathering them for the digest
and Home; blocks: their Block Kit.
"""
