"""Rendering alerts: the channel-neutral body of a run's alert and its renderers
(plain text, markdown, Slack Block Kit, charts), all pure."""
