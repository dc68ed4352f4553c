"""A user's own things: models and defaults, privacy and deleting data, the Mini App's buttons."""
