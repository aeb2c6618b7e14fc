"""Great Expectations suites: loading them from files and turning verdicts into results."""
