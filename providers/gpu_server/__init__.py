"""The self-hosted GPU server (``fulmine gpu-server``): the server side of the ``gpu`` provider.

Imports nothing heavy at package level: :mod:`providers.gpu_server.schemas` (the wire
format) and :mod:`providers.gpu_server.config` are used by the client and the CLI without
the ``gpu`` extra; the rest needs torch and diffusers.
"""
