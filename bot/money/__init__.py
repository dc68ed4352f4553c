"""Paying from Telegram: Lightning top-ups, Telegram Stars, and group pools."""
