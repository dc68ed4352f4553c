"""``fulmine`` with the bench providers registered: ``python -m bench.launch serve|worker``."""

from __future__ import annotations

import sys

from bench.support import register_bench_providers
from orchestrator.cli import main

if __name__ == "__main__":
    register_bench_providers()
    sys.exit(main(sys.argv[1:]))
