"""The API's answers to what it will not do: one JSON shape, ``{"error", "message", ...}``,
with a status code that says whose move it is. Words for clients live here."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute


class ApiError(Exception):
    """An answer other than success: ``status``, a stable ``code`` for programs, a
    ``message`` for people, and any further fields."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> JSONResponse:
        body = {"error": self.code, "message": self.message, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def _field(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"


class ApiRoute(APIRoute):
    """Routes whose refusals (``ApiError``) and malformed bodies answer in the API's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as error:
                return error.response()
            except RequestValidationError as exc:
                problems = [f"{_field(e)}: {e.get('msg', 'invalid')}" for e in exc.errors()[:5]]
                return ApiError(400, "invalid_request", "; ".join(problems)).response()

        return handle
