"""Where an image came from: an invisible watermark naming its job, a signed C2PA
manifest, and :func:`orchestrator.provenance.service.Provenance.verify` for every front end."""
