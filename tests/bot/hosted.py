"""The settings fixtures of end-to-end modules that run against the fake hosted providers.

A module opts in with ``from tests.bot.hosted import extra_settings, settings_overrides``
(imported fixtures are that module's own, overriding the root conftest's defaults) and
adds settings per test with ``@pytest.mark.parametrize("extra_settings", [{...}])``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings_overrides(
    fake_replicate: FakeReplicate, fake_fal: FakeFal, extra_settings: dict[str, Any]
) -> dict[str, Any]:
    return hosted_settings(fake_replicate, fake_fal) | extra_settings
