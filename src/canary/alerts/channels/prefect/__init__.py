"""Prefect notification blocks as an alert channel: any block Prefect has."""
