"""The HTTP API front end: pay a Lightning invoice (or an L402 challenge), get an image."""
