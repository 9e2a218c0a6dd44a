"""OpenTelemetry traces: requests, database queries, Redis commands and outgoing httpx calls,
exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing runs otherwise."""
