"""canary: a data-pipeline canary and anomaly monitor for pings-based usage data."""

__version__ = "0.1.0"
