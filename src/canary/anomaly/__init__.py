"""History-aware checks: robust baselines, detectors, attribution, turned into derived frames."""
