"""SQL warehouses: the source, its connections, push-down summaries, column types, the
doctor's checks, and one record per dialect (``dialects``)."""
