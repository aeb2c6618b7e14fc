"""Amplitude's Dashboard REST API as a source (kind ``amplitude``; docs/amplitude.md)."""
