"""Alert channels: where messages go (Slack, the file outbox, Prefect notification
blocks), each behind one base (``canary.alerts.channels.base``)."""
