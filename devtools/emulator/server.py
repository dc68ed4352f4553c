"""The Bot API emulator: a Starlette app speaking the Bot API, and the handle tests hold."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import mimetypes
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devtools.emulator.limits import SendingLimits
from devtools.emulator.methods import HANDLERS
from devtools.emulator.models import JSON, ApiCall, ApiError, WebhookConfig
from devtools.emulator.params import RawRequest, decode_params, read_request
from devtools.emulator.recording import Recorder
from devtools.emulator.spec import ApiSpec
from devtools.emulator.store import Store, commands_key
from devtools.emulator.user_side import UserSide
from orchestrator.serving.server import serve_in_background

DEFAULT_TOKEN = "123456789:EMULATOR-fulmine-test-token"
_GET_ME_ONLY = "Returned only in getMe."


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: what a test stores (even a lone surrogate) can always
    be sent back, as valid JSON."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


def _error(code: int, description: str) -> JSONResponse:
    body = {"ok": False, "error_code": code, "description": description}
    return AsciiJSONResponse(body, status_code=code)


@dataclass(frozen=True)
class _Fault:
    status: int | Literal["timeout"]
    retry_after: int
    hold_s: float


async def _hold_answer(request: Request, hold_s: float) -> None:
    """Wait ``hold_s`` seconds, or less if the client closes the connection first."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(hold_s):
            while (await request.receive())["type"] != "http.disconnect":
                pass  # the rest of a body nobody reads: the parameters were decoded already


class BotApiEmulator(Recorder, UserSide):
    """An in-process Telegram Bot API server for one bot, for tests and ``fulmine chat``.

    Serve :attr:`app` (``async with emulator.serve() as url``) and point the bot at
    ``base_url=emulator.api_url`` and ``base_file_url=emulator.file_url``.

    Contract:

    - ``POST``/``GET /bot<token>/<method>`` answers the methods in
      :data:`~devtools.emulator.spec.IMPLEMENTED_METHODS` (names case-insensitive) like
      Telegram: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description"}``
      (401 for another token, 404 for any other method, 400 ``Bad Request: ...`` otherwise).
      ``GET /file/bot<token>/<file_path>`` serves files named by getFile.
    - Parameters are read from the query, a form, a multipart body or a JSON object, decoded
      by the types the bundled Bot API specification declares and checked against it:
      missing required parameters, wrong types and (``strict``, the default) parameters or
      object fields the specification does not list are 400 errors.
    - Results are shaped as the specification says; state (chats, messages with per-chat
      increasing ids, files, webhook, commands) lives in memory for the emulator's lifetime.
      Photos are checked with Pillow against Telegram's limits; URLs are not fetched (400).
    - Every request with the right token is recorded in :attr:`calls` (in order, failures
      too); :meth:`wait_for_call` awaits one. What a chat member would see (messages, edits,
      deletions, chat actions) is published to :meth:`subscribe` queues and :meth:`events`.
    - The user side (:meth:`user`, :meth:`private_chat`, :meth:`group_chat`,
      :meth:`user_message`, :meth:`button_press`) builds Updates as Telegram would send them
      and stores their messages, so the bot can reply to them and download their files. It
      delivers nothing by itself: hand the Update to the bot, or :meth:`post_update` it to
      the webhook. Callback queries may be answered once (answerCallbackQuery).
    - Faults: :meth:`inject_fault` makes the next calls of a method fail as Telegram's
      can: 429 flood control, a 5xx, or a timeout (carried out, answer held back).
      ``limits`` (off by default): Telegram's sending limits enforced, 429 past them
      (``devtools/emulator/limits.py``; :attr:`limits` counts the refusals).

    Everything runs on the event loop that serves the app; the emulator is not thread-safe.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "fulmine_dev_bot",
        bot_first_name: str = "Fulmine",
        strict: bool = True,
        capabilities: Mapping[str, bool] | None = None,
        spec: dict[str, Any] | None = None,
        limits: SendingLimits | None = None,
    ) -> None:
        bot_id, colon, secret = token.partition(":")
        if not (colon and bot_id.isdigit() and secret):
            raise ValueError("a bot token looks like '123456:secret'")
        self.token = token
        self.strict = strict
        self.spec = ApiSpec(spec)
        super().__init__(self.spec.canonical_method)
        self.base_url: str | None = None
        bot_user = self._bot_user(int(bot_id), bot_first_name, bot_username, capabilities or {})
        self.store = Store(bot_user, self._emit)
        self._faults: dict[str, list[_Fault]] = {}
        self._flooded: dict[int, float] = {}  # chat id: until (monotonic)
        self.limits = limits
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{file_path:path}", self._download, methods=["GET"]),
            ],
            exception_handlers={HTTPException: self._http_error},
        )

    def _bot_user(
        self, bot_id: int, first_name: str, username: str, capabilities: Mapping[str, bool]
    ) -> JSON:
        get_me_only = [
            field["name"]
            for field in self.spec.types["User"]["fields"]
            if field["description"].endswith(_GET_ME_ONLY) and field["types"] == ["Boolean"]
        ]
        unknown = set(capabilities) - set(get_me_only)
        if unknown:
            raise ValueError(f"not getMe fields of User: {sorted(unknown)}")
        flags = {name: capabilities.get(name, name == "can_join_groups") for name in get_me_only}
        return {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            **flags,
        }

    # Serving -----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve the emulator on this event loop; yields its base URL."""
        async with serve_in_background(self.app, host, port) as base_url:
            self.base_url = base_url
            try:
                yield base_url
            finally:
                self.base_url = None

    def _served_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the emulator is not being served (use `async with serve()`)")
        return self.base_url

    @property
    def api_url(self) -> str:
        """The ``base_url`` for python-telegram-bot: ``<base>/bot`` (the token follows)."""
        return f"{self._served_url()}/bot"

    @property
    def file_url(self) -> str:
        """The ``base_file_url`` for python-telegram-bot: ``<base>/file/bot``."""
        return f"{self._served_url()}/file/bot"

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        return _error(code, "Not Found" if code == 404 else str(exc))

    async def _api(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = self.spec.canonical_method(request.path_params["method"])
        if method is None or method not in HANDLERS:
            self._record(ApiCall(request.path_params["method"], {}, {}, False, "Not Found", 404))
            return _error(404, "Not Found")
        raw = RawRequest()
        params: dict[str, Any] | None = None
        held: _Fault | None = None
        try:
            raw = await read_request(request)
            params = decode_params(self.spec, method, raw, strict=self.strict)
            fault = self._faults[method].pop(0) if self._faults.get(method) else None
            fault = fault or self._flood_of(params) or self._limit_of(method, params)
            if fault is not None and fault.status != "timeout":
                return self._answer_with_fault(method, params, raw, fault)
            held = fault
            result = HANDLERS[method](self.store, params, raw.files)
        except ApiError as exc:  # failed calls keep the raw values if decoding failed
            files = {name: part.data for name, part in raw.files.items()}
            seen = params if params is not None else raw.values
            self._record(
                ApiCall(method, seen, files, False, exc.description, exc.code, held is None)
            )
            response: Response = _error(exc.code, exc.description)
        else:
            files = {name: part.data for name, part in raw.files.items()}
            self._record(
                ApiCall(method, params, files, True, copy.deepcopy(result), None, held is None)
            )
            response = AsciiJSONResponse({"ok": True, "result": result})
        if held is not None:
            await _hold_answer(request, held.hold_s)
        return response

    def inject_fault(
        self,
        method: str,
        *,
        status: int | Literal["timeout"] = 429,
        retry_after: int = 1,
        times: int = 1,
        hold_s: float = 60.0,
    ) -> None:
        """The next ``times`` valid calls of ``method`` go wrong as they can on Telegram.

        - ``status=429``: flood control, ``retry_after`` seconds; not carried out.
        - ``status=5xx``: a server error; not carried out (a client cannot know that).
        - ``status="timeout"``: the worst case of a lost answer. The call **is carried out**
          (the message sent, edited or deleted; recorded with ``answered=False``), then its
          answer is held back for ``hold_s`` seconds, or until the client gives up and
          closes the connection. Hold it longer than the bot's read timeout
          (``TELEGRAM_READ_TIMEOUT_S``) and the bot sees a timeout; shorter, a late answer.
        """
        self._faults.setdefault(method, []).extend([_Fault(status, retry_after, hold_s)] * times)

    def flood_chat(self, chat_id: int, for_s: float) -> None:
        """Telegram's flood control on one chat: for ``for_s`` seconds every call for it
        answers 429 with the time left as ``retry_after`` (not carried out)."""
        self._flooded[chat_id] = time.monotonic() + for_s

    def _flood_of(self, params: dict[str, Any]) -> _Fault | None:
        chat_id = params.get("chat_id")
        until = self._flooded.get(chat_id) if isinstance(chat_id, int) else None
        left = (until - time.monotonic()) if until is not None else 0.0
        return _Fault(429, max(1, math.ceil(left)), 0.0) if left > 0 else None

    def _limit_of(self, method: str, params: dict[str, Any]) -> _Fault | None:
        retry_after = self.limits.take(method, params.get("chat_id")) if self.limits else None
        return None if retry_after is None else _Fault(429, retry_after, 0.0)

    def _answer_with_fault(
        self, method: str, params: dict[str, Any], raw: RawRequest, fault: _Fault
    ) -> Response:
        status, retry_after = int(fault.status), fault.retry_after
        files = {name: part.data for name, part in raw.files.items()}
        if status == 429:
            description = f"Too Many Requests: retry after {retry_after}"
            body: JSON = {
                "ok": False,
                "error_code": 429,
                "description": description,
                "parameters": {"retry_after": retry_after},
            }
        else:
            description = "Internal Server Error"
            body = {"ok": False, "error_code": status, "description": description}
        self._record(ApiCall(method, params, files, False, description, status))
        return AsciiJSONResponse(body, status_code=status)

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        stored = self.store.paths.get(request.path_params["file_path"])
        if stored is None:
            return _error(404, "Not Found")
        media_type = mimetypes.guess_type(stored.file_path)[0] or "application/octet-stream"
        return Response(stored.data, media_type=media_type)

    # State -------------------------------------------------------------------------------

    @property
    def bot_user(self) -> JSON:
        """The bot, as getMe returns it."""
        return copy.deepcopy(self.store.bot_user)

    @property
    def webhook(self) -> WebhookConfig | None:
        return self.store.webhook

    def messages(self, chat_id: int) -> list[JSON]:
        """The chat's messages still there, oldest first."""
        return copy.deepcopy(list(self.store.chat_messages.get(chat_id, {}).values()))

    def get_message(self, chat_id: int, message_id: int) -> JSON | None:
        return copy.deepcopy(self.store.message(chat_id, message_id))

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a file (KeyError if unknown)."""
        return self.store.files[file_id].data

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON] | None:
        """The commands setMyCommands set for ``scope`` (default scope) and language."""
        return copy.deepcopy(self.store.commands.get(commands_key(scope, language_code)))
