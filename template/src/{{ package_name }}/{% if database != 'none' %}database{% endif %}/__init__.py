"""The database: engine, sessions, the declarative base and the service resource."""
