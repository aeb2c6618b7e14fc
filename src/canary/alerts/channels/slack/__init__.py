"""Slack as an alert channel: the bot (Web API) and incoming-webhook transports, their
error mapping, rate limits and SDK logging, and ``canary slack test``."""
