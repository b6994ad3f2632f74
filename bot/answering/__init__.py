"""Customers answer: clicks, answers, the follow-up form, expiry, alerts and kudos."""
