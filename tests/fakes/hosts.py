"""The fake fal server's address: fixed for the whole session, exported before fal-client loads.

fal-client reads ``FAL_RUN_HOST`` and ``FAL_QUEUE_RUN_HOST`` once, when it is first imported,
and builds ``https://`` URLs from them. ``tests/conftest.py`` imports this module before
anything imports fal-client; each test's fake fal then serves on this same socket.
"""

from __future__ import annotations

import atexit
import os
import socket
import sys

if "fal_client" in sys.modules:
    raise RuntimeError("fal_client was imported before the fake fal host was set")

FAL_SOCKET = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
FAL_SOCKET.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
FAL_SOCKET.bind(("127.0.0.1", 0))
atexit.register(FAL_SOCKET.close)

FAL_HOST = f"127.0.0.1:{FAL_SOCKET.getsockname()[1]}"
os.environ["FAL_RUN_HOST"] = FAL_HOST
os.environ["FAL_QUEUE_RUN_HOST"] = FAL_HOST
