"""Rate limiting: per client, one limit for reads and one for writes (docs/OPERATIONS.md)."""
