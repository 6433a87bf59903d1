"""Intake: receivers, file imports, the event store, and the asset inventory that enriches events."""
