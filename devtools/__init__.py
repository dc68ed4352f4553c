"""Development tools, never imported by the product: the Telegram Bot API emulator,
``fulmine chat`` (the bot in a terminal) and ``/pay`` for the fake payment backend."""
