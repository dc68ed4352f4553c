"""Lightning payments (issue 5): pricing, the ledger flow, payment webhooks, reconciliation."""
