"""What ``/stats`` shows: the counter names, what the pipeline records, and the report."""
