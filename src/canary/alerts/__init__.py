"""Alerts: a message model independent of Slack, pure renderers, the lifecycle keyed by
fingerprint, and delivery through a durable outbox (Slack bot token, webhook or files).

Entry points: ``canary.alerts.deliver.deliver`` after a run, ``canary slack test``.
"""
