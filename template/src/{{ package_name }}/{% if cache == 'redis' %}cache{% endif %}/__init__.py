"""The Redis cache: one client owned by the lifespan, and a small typed helper on it."""
