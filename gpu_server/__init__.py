"""The self-hosted GPU server (``fulmine gpu-server``): the server side of the ``gpu`` provider.

A deployable of its own, on the GPU machine: it imports nothing else of the project, and
shares only :mod:`gpu_server.schemas` (the wire format) with the client provider. Nothing
heavy at package level: the schemas, settings and launcher work without the ``gpu`` extra;
the rest needs torch and diffusers.
"""
