"""Reading a Bot API request's parameters and checking them against the specification.

Parameters come from the query string and from the body: form-urlencoded, multipart (file
parts become :class:`UploadedFile`) or a JSON object. Form values are strings; the types the
specification declares decide how each is read (``"123"`` for an Integer, ``'{"message_id":
5}'`` for a ReplyParameters). Objects are checked field by field, recursively.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from devtools.emulator.models import ApiError, UploadedFile
from devtools.emulator.spec import ARRAY, ApiSpec

ATTACH = "attach://"
_INTEGER = re.compile(r"[+-]?\d+")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_MAX_FIELD_BYTES = 1024 * 1024


@dataclass
class RawRequest:
    """Parameters as received: strings (query, form) or JSON values (JSON body)."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


async def read_request(request: Request) -> RawRequest:
    raw = RawRequest(values=dict(request.query_params))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await request.body()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise ApiError("can't parse JSON object") from None
            if not isinstance(data, dict):
                raise ApiError("can't parse JSON object")
            raw.values.update(data)
    elif content_type in _FORM_TYPES:
        try:
            async with request.form(max_part_size=_MAX_FIELD_BYTES) as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        data = await value.read()
                        raw.files[key] = UploadedFile(key, value.filename, value.content_type, data)
                    else:
                        raw.values[key] = value
        except ApiError:
            raise
        except Exception as exc:  # malformed multipart bodies raise various errors
            raise ApiError(f"can't parse request body: {exc}") from exc
    return raw


def decode_params(spec: ApiSpec, method: str, raw: RawRequest, *, strict: bool) -> dict[str, Any]:
    """The parameters of a ``method`` call, decoded and checked (ApiError on a problem)."""
    declared = spec.params(method)
    decoder = _Decoder(spec, raw.files, strict)
    params: dict[str, Any] = {}
    for name, value in [*raw.values.items(), *raw.files.items()]:
        if name in params or (isinstance(value, UploadedFile) and name in raw.values):
            continue
        if name not in declared:
            if strict and not isinstance(value, UploadedFile):
                raise ApiError(
                    f"unknown parameter {name} for {method} (not in Bot API {spec.version})"
                )
            continue
        params[name] = decoder.top_level(value, declared[name]["types"], name)
    for name, param in declared.items():
        if param["required"] and name not in params:
            raise ApiError(f"{name} is required")
    if strict:
        referenced = set(_attachments(params))
        for part in raw.files:
            if part not in declared and part not in referenced:
                raise ApiError(f"unknown parameter {part}: a file part nothing refers to")
    return params


def _attachments(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith(ATTACH):
        yield value[len(ATTACH) :]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _attachments(item)
    elif isinstance(value, list):
        for item in value:
            yield from _attachments(item)


def _wrong_type(path: str, types: Sequence[str]) -> ApiError:
    return ApiError(f"wrong type of {path}: expected {' or '.join(types)}")


class _Decoder:
    def __init__(self, spec: ApiSpec, files: Mapping[str, UploadedFile], strict: bool) -> None:
        self.spec = spec
        self.files = files
        self.strict = strict

    def top_level(self, value: Any, types: Sequence[str], path: str) -> Any:
        if isinstance(value, UploadedFile):
            if "InputFile" in types:
                return value
            raise ApiError(f"{path} must not be a file upload")
        if isinstance(value, str):
            return self.from_string(value, types, path)
        return self.convert(value, types, path)

    def from_string(self, text: str, types: Sequence[str], path: str) -> Any:
        """A string value: a form field, or a JSON-serialized object or array."""
        if "InputFile" in types and text.startswith(ATTACH):
            part = self.files.get(text[len(ATTACH) :])
            if part is None:
                raise ApiError(f"{path}: no file was uploaded as {text}")
            return part
        structured = [t for t in types if t.startswith(ARRAY) or t in self.spec.types]
        structured = [t for t in structured if t != "InputFile"]
        if structured and text.lstrip()[:1] in ("{", "["):
            try:
                parsed = json.loads(text)
            except ValueError:
                raise ApiError(f"can't parse {path}: not valid JSON") from None
            return self.convert(parsed, structured, path)
        for type_name in sorted(types, key=lambda t: t == "String"):  # String last
            scalar = _scalar_from_string(text, type_name)
            if scalar is not None:
                return scalar[0]
        raise _wrong_type(path, types)

    def convert(self, value: Any, types: Sequence[str], path: str) -> Any:
        """A JSON value checked against ``types`` (alternatives, as the spec lists them)."""
        arrays = [t[len(ARRAY) :] for t in types if t.startswith(ARRAY)]
        others = [t for t in types if not t.startswith(ARRAY)]
        if isinstance(value, list):
            if not arrays:
                raise _wrong_type(path, types)
            return [self.convert(item, arrays, f"{path}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, dict):
            objects = [t for t in others if t in self.spec.types and t != "InputFile"]
            if not objects:
                raise _wrong_type(path, types)
            return self.convert_object(value, objects, path)
        if any(_scalar_matches(value, t) for t in others):
            return value
        raise _wrong_type(path, types)

    def _concrete(self, type_name: str) -> list[str]:
        subtypes = self.spec.subtypes(type_name)
        if not subtypes:
            return [type_name]
        return [leaf for sub in subtypes for leaf in self._concrete(sub)]

    def convert_object(self, value: dict[str, Any], types: Sequence[str], path: str) -> Any:
        candidates = [leaf for t in types for leaf in self._concrete(t)]
        if len(candidates) > 1:
            tagged = [(t, self.spec.discriminator(t)) for t in candidates]
            chosen = [t for t, tag in tagged if tag and value.get(tag[0]) == tag[1]]
            if chosen:
                candidates = chosen
            elif all(tag for _, tag in tagged):
                key = tagged[0][1][0]  # type: ignore[index]
                raise ApiError(f"can't parse {path}: unsupported {key} {value.get(key)!r}")
        errors: list[ApiError] = []
        for type_name in candidates:
            try:
                return self.fields_of(value, type_name, path)
            except ApiError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        raise ApiError(f"can't parse {path}: it is none of {', '.join(candidates)}")

    def fields_of(self, value: dict[str, Any], type_name: str, path: str) -> dict[str, Any]:
        fields = self.spec.fields(type_name)
        out: dict[str, Any] = {}
        for key, item in value.items():
            declared = fields.get(key)
            if declared is None:
                if self.strict:
                    raise ApiError(f"can't parse {path}: unknown field {key} in {type_name}")
                out[key] = item
                continue
            out[key] = self.convert(item, declared["types"], f"{path}.{key}")
        for name, declared in fields.items():
            if declared["required"] and name not in value:
                raise ApiError(f"can't parse {path}: field {name} is required in {type_name}")
        return out


def _scalar_matches(value: Any, type_name: str) -> bool:
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "Boolean":
        return isinstance(value, bool)
    if type_name == "True":
        return value is True
    return type_name == "String" and isinstance(value, str)


def _scalar_from_string(text: str, type_name: str) -> tuple[Any] | None:
    """``(value,)`` if ``text`` reads as ``type_name``, else None."""
    lowered = text.strip().lower()
    if type_name == "Integer" and _INTEGER.fullmatch(text.strip()):
        return (int(text),)
    if type_name == "Float":
        try:
            number = float(text)
        except ValueError:
            return None
        return (number,) if math.isfinite(number) else None
    if type_name in ("Boolean", "True") and lowered in ("true", "1"):
        return (True,)
    if type_name == "Boolean" and lowered in ("false", "0"):
        return (False,)
    if type_name == "String":
        return (text,)
    return None
