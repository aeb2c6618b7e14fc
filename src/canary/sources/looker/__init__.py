"""Looker as a source, through the real looker-sdk (API 4.0): dashboards, looks, queries."""
