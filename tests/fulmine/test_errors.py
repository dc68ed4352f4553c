"""The error tree: every error is a refusal or a failure, never both, and the tree drawn in
``fulmine.errors`` is the tree the classes make."""

from __future__ import annotations

import importlib
import re

import httpx
import pytest

import fulmine.errors
from fulmine.errors import Failure, FulmineError, Refusal, request_never_left

# Every module that defines part of the tree (imported so that their classes exist).
MODULES = [
    "fulmine.errors",
    "providers.errors",
    "providers.payments.errors",
    "providers.storage.errors",
    "state.errors",
    "orchestrator.errors",
    "orchestrator.catalog.errors",
    "orchestrator.moderation.errors",
    "orchestrator.payments.errors",
    "miniapp.init_data",
]


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def _drawn_tree() -> dict[str, str]:
    """Each class name in the docstring's drawing, with its parent's name."""
    doc = fulmine.errors.__doc__ or ""
    parents: dict[int, str] = {}
    drawn: dict[str, str] = {}
    for line in doc.splitlines():
        match = re.match(r"^ {4}((?:│   |    )*)([├└]── )?([A-Z]\w+)", line)
        if match is None or (match.group(1) and not match.group(2)):
            continue  # not a line of the drawing, or a note continued
        depth = len(match.group(1)) // 4 + (1 if match.group(2) else 0)
        name = match.group(3)
        if depth > 0:
            drawn[name] = parents[depth - 1]
        parents[depth] = name
    return drawn


def test_every_error_is_a_refusal_or_a_failure_never_both() -> None:
    for module in MODULES:
        importlib.import_module(module)
    errors = {
        cls
        for cls in _all_subclasses(FulmineError)
        if cls.__module__.split(".")[0]
        in {"fulmine", "providers", "state", "orchestrator", "miniapp"}
    }
    assert len(errors) > 20
    for cls in errors - {Refusal, Failure}:
        assert issubclass(cls, Refusal) != issubclass(cls, Failure), cls


def test_the_drawn_tree_is_the_tree_of_the_classes() -> None:
    for module in MODULES:
        importlib.import_module(module)
    classes = {
        cls.__name__: cls
        for cls in _all_subclasses(FulmineError)
        if cls.__module__.split(".")[0]
        in {"fulmine", "providers", "state", "orchestrator", "miniapp"}
        and not cls.__name__.startswith("_")  # a module's private marker, never raised out
    }
    drawn = _drawn_tree()
    assert set(drawn) == set(classes), set(drawn) ^ set(classes)
    for name, parent in drawn.items():
        assert classes[name].__bases__[0].__name__ == parent, name


def test_refusals_are_no_longer_caught_as_state_failures() -> None:
    from state.errors import InsufficientCredits, RateLimited, StateError

    assert not issubclass(RateLimited, StateError)
    assert not issubclass(InsufficientCredits, StateError)


@pytest.mark.parametrize(
    ("error", "never_left"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("slow connect"), True),
        (httpx.PoolTimeout("no free connection"), True),
        (httpx.ReadTimeout("sent, no answer"), False),
        (httpx.RemoteProtocolError("dropped mid-answer"), False),
        (ValueError("not a transport error"), False),
        (None, False),
    ],
)
def test_request_never_left(error: BaseException | None, never_left: bool) -> None:
    assert request_never_left(error) is never_left


def test_request_never_left_looks_through_a_wrapping_library_error() -> None:
    class LibraryError(Exception):
        pass

    wrapped = LibraryError("network error")
    wrapped.__cause__ = httpx.ConnectError("refused")
    assert request_never_left(wrapped)
    wrapped.__cause__ = httpx.ReadTimeout("sent")
    assert not request_never_left(wrapped)
