"""What a result offers: its buttons, details, edit history, provenance, and inline mode."""
