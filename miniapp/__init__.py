"""The Telegram Mini App front end: a page under ``/app`` and its JSON API under ``/app/api``,
for the gallery, new images, settings, balance and the admins' dashboard."""
