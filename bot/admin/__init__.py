"""The admins' commands: /stats (and its chart), moderation, and the command menus."""
