"""A client of Fulmine's HTTP API: ask for an invoice, pay it, wait for the image, save it.

Against a local development server, whose fake invoices a development-only route pays::

    PAYMENTS_BACKEND=fake FRONTENDS=api TELEGRAM_BOT_TOKEN=1:dev \\
        TELEGRAM_WEBHOOK_SECRET=development-secret-0123 fulmine serve
    python examples/api_client.py "a red fox in the snow" --url http://127.0.0.1:8000

With a real backend, pay the printed invoice from any Lightning wallet instead (``--wallet``
off); the script waits for the payment.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx


def make_image(url: str, prompt: str, out: Path, dev_pay: bool = True) -> Path:
    with httpx.Client(base_url=url, timeout=60) as http:
        invoice = http.post("/api/v1/invoice", json={"prompt": prompt})
        invoice.raise_for_status()
        order = invoice.json()
        invoice_id = order["invoice_id"]
        print(f"invoice {invoice_id}: {order['amount_sats']} sats")
        if order["status"] == "pending":
            print(order["payment_request"])
            if dev_pay:  # the fake backend: its development route plays the payer
                http.post(f"/api/v1/dev/pay/{invoice_id}").raise_for_status()
        while True:
            answer = http.get(f"/api/v1/image/{invoice_id}", params={"wait": 30})
            if answer.status_code not in (202, 402):
                break
            print(answer.json()["status"])
        answer.raise_for_status()
        result = answer.json()
        if result["status"] != "completed":
            raise SystemExit(f"failed: {result['reason']} ({result['refund_sats']} sats to refund)")
        image = result["images"][0]
        data = http.get(image["url"])
        data.raise_for_status()
        out.write_bytes(data.content)
        print(f"saved {out} ({image['width']}x{image['height']})")
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("fulmine.png"))
    parser.add_argument(
        "--wallet", action="store_true", help="pay from a real wallet (wait for the payment)"
    )
    args = parser.parse_args(argv)
    make_image(args.url, args.prompt, args.out, dev_pay=not args.wallet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
