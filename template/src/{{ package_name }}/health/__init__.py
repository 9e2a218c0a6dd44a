"""Liveness, readiness and detailed health, fed by a registry of dependency checks."""
