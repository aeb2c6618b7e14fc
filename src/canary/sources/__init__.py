"""Sources pull a monitor's datasets for a week: the sample warehouse or files."""
