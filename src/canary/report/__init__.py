"""Reporting a run: the JSON result document and the console summary."""
