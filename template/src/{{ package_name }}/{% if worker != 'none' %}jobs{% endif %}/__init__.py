"""Background jobs: the API enqueues them and reports their state; the worker runs them."""
