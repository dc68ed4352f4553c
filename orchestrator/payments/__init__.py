"""Lightning payments: pricing, the ledger flow, payment webhooks, reconciliation."""
