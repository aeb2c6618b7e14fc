"""The weekly usage report: a monitor's week told for the product team (numbers, trend,
calendar, pipeline health), built from the store and the run, rendered per channel."""
