"""Inline mode in the emulator: answerInlineQuery, editMessageMedia and editMessageText on
inline messages, and the user's side (the ``inline_query`` Update of someone typing
``@bot ...``, the ``chosen_inline_result`` Update of picking one of the bot's results).

As on Telegram: a query is answered once, with at most 50 results of unique ids (1-64
bytes); a chosen result becomes a message in the user's chat that the bot can reach only
by its ``inline_message_id``, and gets one only when the result carries an inline
keyboard; media in an inline message can be edited only to a file already on the servers
(a file_id) or a URL, never to an upload.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from typing import Any

from devtools.emulator import sending
from devtools.emulator.models import JSON, ApiError, UploadedFile
from devtools.emulator.params import ATTACH
from devtools.emulator.store import InlineState, Store

RESULTS_MAX = 50
RESULT_ID_MAX_BYTES = 64
QUERY_MAX = 256  # characters of an inline query
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


def _state(store: Store) -> InlineState:
    return store.inline


def answer_inline_query(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    state = _state(store)
    query_id = params["inline_query_id"]
    if query_id not in state.queries or query_id in state.answers:
        raise ApiError(_QUERY_TOO_OLD)
    results: list[JSON] = params["results"]
    if len(results) > RESULTS_MAX:
        raise ApiError("RESULTS_TOO_MUCH")
    ids = [result["id"] for result in results]
    if any(not 1 <= len(i.encode()) <= RESULT_ID_MAX_BYTES for i in ids):
        raise ApiError("RESULT_ID_INVALID")
    if len(set(ids)) != len(ids):
        raise ApiError("RESULT_ID_DUPLICATE")
    for result in results:
        if "photo_file_id" in result:
            store.reuse(result["photo_file_id"], "photo")  # a cached photo must exist
        content = result.get("input_message_content")
        if content is not None and "message_text" in content:
            sending.check_text(content["message_text"])
    state.answers[query_id] = copy.deepcopy(results)
    return True


def _inline_message(store: Store, inline_message_id: str) -> JSON:
    message = _state(store).messages.get(inline_message_id)
    if message is None:
        raise ApiError("MESSAGE_ID_INVALID")
    return message


def edit_message_media(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    inline_message_id = params.get("inline_message_id")
    if inline_message_id is None:
        raise ApiError("editing chat messages' media is not supported by the emulator")
    message = _inline_message(store, inline_message_id)
    media: JSON = params["media"]
    source = media["media"]
    if isinstance(source, UploadedFile) or (isinstance(source, str) and source.startswith(ATTACH)):
        raise ApiError("can't upload a new file to an inline message: use a file_id or a URL")
    if media["type"] == "photo":
        new: JSON = {"photo": store.reuse(source, "photo")}
    elif media["type"] == "document":
        new = {"document": store.reuse(source, "document")}
    else:
        raise ApiError(f"media of type {media['type']} is not supported by the emulator")
    new.update(sending.caption_fields(media))
    for key in ("text", "entities", "photo", "document", "caption", "caption_entities"):
        message.pop(key, None)
    _replace(message, new, params)
    return True


def edit_inline_text(store: Store, params: Mapping[str, Any]) -> bool:
    """editMessageText with ``inline_message_id`` (called by the method's handler)."""
    message = _inline_message(store, params["inline_message_id"])
    if "text" not in params:
        raise ApiError("text is required")
    if "text" not in message:
        raise ApiError("there is no text in the message to edit")
    sending.check_text(params["text"])
    if message["text"] == params["text"] and message.get("reply_markup") == params.get(
        "reply_markup"
    ):
        raise ApiError("message is not modified")
    message.pop("entities", None)
    new: JSON = {"text": params["text"]}
    if params.get("entities"):
        new["entities"] = params["entities"]
    _replace(message, new, params)
    return True


def _replace(message: JSON, content: JSON, params: Mapping[str, Any]) -> None:
    message.pop("reply_markup", None)  # an edit without a keyboard removes it
    message.update(content)
    message.update(sending.message_extras({"reply_markup": params.get("reply_markup")}))
    message["edit_date"] = int(time.time())


HANDLERS = {
    "answerInlineQuery": answer_inline_query,
    "editMessageMedia": edit_message_media,
}


# The user's side -------------------------------------------------------------------------


def inline_query_update(store: Store, from_user: JSON, query: str, chat_type: str) -> JSON:
    """The ``inline_query`` Update of ``from_user`` typing ``@bot query`` in a chat."""
    if len(query) > QUERY_MAX:
        raise ValueError(f"an inline query holds at most {QUERY_MAX} characters")
    state = _state(store)
    payload: JSON = {
        "id": state.new_query_id(),
        "from": from_user,
        "query": query,
        "offset": "",
        "chat_type": chat_type,
    }
    state.queries[payload["id"]] = copy.deepcopy(payload)
    return {"update_id": store.new_update_id(), "inline_query": payload}


def inline_answer(store: Store, query_id: str) -> list[JSON] | None:
    """The results the bot answered the query with (None: not answered)."""
    return copy.deepcopy(_state(store).answers.get(query_id))


def _content_of(store: Store, result: JSON) -> JSON:
    """What the chosen result sends: its input_message_content (text), else its photo."""
    content = result.get("input_message_content")
    if content is not None:
        if "message_text" not in content:
            raise ValueError("the emulator sends only text as an inline result's content")
        sent: JSON = {"text": content["message_text"]}
        if content.get("entities"):
            sent["entities"] = content["entities"]
        return sent
    if "photo_file_id" in result:
        return {
            "photo": store.reuse(result["photo_file_id"], "photo"),
            **sending.caption_fields(result),
        }
    raise ValueError(f"the emulator cannot send an inline result of type {result['type']}")


def chosen_result_update(store: Store, query_id: str, result_id: str) -> JSON:
    """The ``chosen_inline_result`` Update of the query's sender picking ``result_id``
    (ValueError when the bot offered no such result). The chosen result is now a message
    that the bot can edit by its ``inline_message_id``, given only when it has a keyboard."""
    state = _state(store)
    results = state.answers.get(query_id)
    if results is None:
        raise ValueError(f"inline query {query_id} was not answered")
    chosen = next((r for r in results if r["id"] == result_id), None)
    if chosen is None:
        raise ValueError(f"inline query {query_id} offered no result {result_id!r}")
    query = state.queries[query_id]
    content = _content_of(store, chosen)
    payload: JSON = {"result_id": result_id, "from": query["from"], "query": query["query"]}
    markup = chosen.get("reply_markup")
    if markup is not None:
        inline_message_id = state.new_message_id()
        state.messages[inline_message_id] = {
            "from": query["from"],
            "via_bot": sending.bot_sender(store),
            "date": int(time.time()),
            **content,
            "reply_markup": copy.deepcopy(markup),
        }
        payload["inline_message_id"] = inline_message_id
    return {"update_id": store.new_update_id(), "chosen_inline_result": payload}


def inline_message(store: Store, inline_message_id: str) -> JSON | None:
    """What an inline message shows now (None: no such message)."""
    return copy.deepcopy(_state(store).messages.get(inline_message_id))
