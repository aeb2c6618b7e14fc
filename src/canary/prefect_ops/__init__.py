"""Canary on a Prefect server: final states, events, automations and Secret blocks.

The builders here are pure (they return what to send); thin functions send it through
the Prefect client. Nothing here starts a server.
"""
