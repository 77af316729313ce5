"""The audit trail on the web: the server seals the chains every few seconds; supervisors read their state."""
