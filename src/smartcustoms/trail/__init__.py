"""The tamper-evident audit trail: decisions, overrides, task events and outcomes chained by hashes."""
