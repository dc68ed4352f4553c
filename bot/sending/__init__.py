"""Sending to Telegram: the Bot API client's requests, pacing and flood control, chat actions,
delivery of results, status and failure messages."""
