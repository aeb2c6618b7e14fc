"""The bundled sample warehouse: a seeded generator of the pings data model."""
