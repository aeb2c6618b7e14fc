"""Alerts: the policy at the top (routes, mutes, masking, the lifecycle keyed by
fingerprint, composing deliveries), ``render/`` (the channel-neutral body and its pure
renderers), ``outbox/`` (durable delivery) and ``channels/`` (Slack bot or webhook, the file
outbox, Prefect notification blocks, each opened from its ``channels.base`` config and sent
through ``outbox.sending``).

Entry points: ``canary.alerts.deliver.deliver`` after a run, ``canary slack test``.
"""
