"""A job's way through the orchestrator: admission, the queue's workers, the images they
make, the marks that keep a job delivered once, and the queue positions users see."""
