"""``canary doctor``: what a run depends on, checked without pulling data.

``base`` holds a check's context and findings; ``command`` runs the checks and prints them;
``prefect`` checks a production deployment; each source kind's checks live with the kind.
"""
