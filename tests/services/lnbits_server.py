"""The real LNbits (FakeWallet funding source) on a loopback port, for payment tests.

LNbits runs from its own venv (``.venv-lnbits``, installed by ``make test`` from
``lnbits-requirements.txt``): its pins conflict with ours. The instance is set up through
its own API, as an operator would: first-install creates the super user, ``POST
/api/v1/account`` creates two wallets (the bot's, and a payer), and the super user tops the
payer up. The payer then pays the bot's invoices internally, which FakeWallet settles.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_ENV = "FULMINE_LNBITS_VENV"
DEFAULT_VENV = REPO_ROOT / ".venv-lnbits"
START_TIMEOUT_S = 60.0
PAYER_FUNDS_SATS = 1_000_000


@dataclass(frozen=True)
class LnbitsWallet:
    id: str
    admin_key: str
    invoice_key: str


@dataclass(frozen=True)
class LnbitsInstance:
    url: str
    bot: LnbitsWallet  # the wallet our backend uses (invoice key only)
    payer: LnbitsWallet  # a funded wallet of the same instance
    log_path: Path
    start_s: float  # process start until the API answered

    async def pay(self, bolt11: str, wallet: LnbitsWallet | None = None) -> httpx.Response:
        """Pay an invoice from ``wallet`` (the payer by default), as its owner would."""
        payer = wallet or self.payer
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            return await client.post(
                "/api/v1/payments",
                json={"out": True, "bolt11": bolt11},
                headers={"X-Api-Key": payer.admin_key},
            )

    async def balance_msat(self, wallet: LnbitsWallet) -> int:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            response = await client.get("/api/v1/wallet", headers={"X-Api-Key": wallet.admin_key})
        response.raise_for_status()
        balance: int = response.json()["balance"]
        return balance

    async def create_invoice(self, wallet: LnbitsWallet, amount_sats: int) -> dict[str, Any]:
        """An invoice of ``wallet``, made directly through the LNbits API."""
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            response = await client.post(
                "/api/v1/payments",
                json={"out": False, "amount": amount_sats, "memo": "direct"},
                headers={"X-Api-Key": wallet.invoice_key},
            )
        response.raise_for_status()
        created: dict[str, Any] = response.json()
        return created

    async def payment(self, wallet: LnbitsWallet, payment_hash: str) -> dict[str, Any]:
        """``GET /api/v1/payments/{hash}`` as ``wallet`` sees it."""
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            response = await client.get(
                f"/api/v1/payments/{payment_hash}", headers={"X-Api-Key": wallet.invoice_key}
            )
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def lnbits_executable() -> Path:
    venv = Path(os.environ.get(VENV_ENV) or DEFAULT_VENV)
    executable = venv / "bin" / "lnbits"
    if not executable.exists():
        pytest.fail(
            f"LNbits is not installed at {venv}: the LNbits payment tests need it. Run "
            f"`make {DEFAULT_VENV.name}/.installed` (`make test` does), or set {VENV_ENV}.",
            pytrace=False,
        )
    return executable


def _site_packages(venv_bin: Path) -> str:
    # LNbits mounts its static files from the relative path "lnbits/static": it must run
    # from the folder that holds the lnbits package.
    script = (
        "import importlib.util, os; "
        "print(os.path.dirname(os.path.dirname(importlib.util.find_spec('lnbits').origin)))"
    )
    return subprocess.check_output([str(venv_bin / "python"), "-c", script], text=True).strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LNBITS_", "FAKE_WALLET"))}
    env.update(
        LNBITS_DATA_FOLDER=str(folder / "data"),
        LNBITS_EXTENSIONS_PATH=str(folder / "extensions"),
        LNBITS_BACKEND_WALLET_CLASS="FakeWallet",
        # Webhooks go to our receiver on loopback, which LNbits refuses by default.
        LNBITS_CALLBACK_ALLOW_PRIVATE_IPS="true",
        LNBITS_CALLBACK_URL_RULES=r'["http://127\\.0\\.0\\.1(:\\d+)?"]',
        LNBITS_RATE_LIMIT_NO="1000000",
        LNBITS_EXTENSIONS_MANIFESTS="[]",  # no extension catalogue from the internet
        LNBITS_ADMIN_UI="true",  # a super user, who alone may top a wallet up
    )
    return env


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(base_url=url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                client.get("/api/v1/health")  # 307 to /first_install is an answer too
                return
            time.sleep(0.1)
    tail = log_path.read_text(errors="replace")[-3000:]
    pytest.fail(f"LNbits did not start (exit code {process.poll()}):\n{tail}", pytrace=False)


def _check(response: httpx.Response, what: str) -> Any:
    if response.is_error:
        pytest.fail(f"LNbits {what}: HTTP {response.status_code} {response.text[:500]}")
    return response.json()


def _set_up(url: str) -> tuple[LnbitsWallet, LnbitsWallet]:
    password = secrets.token_urlsafe(16)
    with httpx.Client(base_url=url, timeout=30) as client:
        token = _check(
            client.put(
                "/api/v1/auth/first_install",
                json={"username": "admin", "password": password, "password_repeat": password},
            ),
            "first install",
        )["access_token"]
        wallets = []
        for name in ("fulmine-bot", "payer"):
            data = _check(client.post("/api/v1/account", json={"name": name}), "create wallet")
            wallets.append(LnbitsWallet(data["id"], data["adminkey"], data["inkey"]))
        bot, payer = wallets
        _check(
            client.put(
                "/users/api/v1/balance",
                json={"id": payer.id, "amount": PAYER_FUNDS_SATS},
                headers={"Authorization": f"Bearer {token}"},
            ),
            "top up",
        )
    return bot, payer


@contextlib.contextmanager
def running_lnbits(folder: Path) -> Iterator[LnbitsInstance]:
    executable = lnbits_executable()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder / "lnbits.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(executable), "--host", "127.0.0.1", "--port", str(port)],
            cwd=_site_packages(executable.parent),
            env=_environment(folder),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with all its children
        )
    try:
        _wait_until_answering(url, process, log_path)
        bot, payer = _set_up(url)
        yield LnbitsInstance(url, bot, payer, log_path, time.monotonic() - started)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="session")
def lnbits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LnbitsInstance]:
    """One real LNbits for the whole run (start-up and setup take a few seconds)."""
    with running_lnbits(tmp_path_factory.mktemp("lnbits")) as instance:
        yield instance
