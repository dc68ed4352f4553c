"""Process plumbing shared by every front end: the HTTP server, body limits, health and
readiness, Prometheus metrics and structured logs."""
