"""The durable outbox: every delivery recorded before it is attempted, sent oldest
first, carried over between transports, and what was left undelivered."""
