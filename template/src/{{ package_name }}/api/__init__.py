"""The public HTTP API, versioned by URL prefix."""
