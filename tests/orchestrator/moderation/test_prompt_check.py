"""Prompt decisions: what they carry, how policies and thresholds from settings change
them, the minors rule, and the profanity model's fast path."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from orchestrator.moderation import Category, Check, Moderator, Policy
from orchestrator.moderation.models import DEFAULT_THRESHOLDS
from orchestrator.moderation.profanity import ProfanityModel
from tests.orchestrator.moderation.conftest import SettingsFactory
from tests.orchestrator.moderation.test_prompt_set import ROWS


async def test_a_blocked_prompt_says_why(moderator: Moderator) -> None:
    decision = await moderator.check_prompt("a decapitated body", Policy.STANDARD)
    assert not decision.allowed
    assert decision.category is Category.VIOLENCE
    assert decision.score == 1.0
    assert decision.threshold == DEFAULT_THRESHOLDS[Category.VIOLENCE]
    assert decision.matched == ("decapitat*",)
    assert "decapitat" in decision.reason
    assert decision.checks == (Check.TERMS, Check.MINORS_RULE, Check.PROFANITY_MODEL)
    assert decision.policy is Policy.STANDARD
    # The decision is plain JSON for the API and the records.
    assert json.loads(decision.model_dump_json())["category"] == "violence"


async def test_an_allowed_prompt_reports_its_top_score(moderator: Moderator) -> None:
    decision = await moderator.check_prompt("a lingerie advert", Policy.STANDARD)
    assert decision.allowed
    assert decision.category is Category.SEXUAL
    assert decision.score == pytest.approx(0.5)
    assert decision.matched == ("lingerie",)


async def test_the_minors_rule_holds_under_every_policy(moderator: Moderator) -> None:
    for policy in Policy:
        decision = await moderator.check_prompt("a teen in a bikini", policy)
        assert not decision.allowed, policy
        assert decision.category is Category.MINORS
        assert decision.score == 1.0
        assert decision.threshold is None
        assert set(decision.matched) == {"bikini", "teen"}
        assert decision.reason.startswith("minors rule")


async def test_minor_terms_alone_are_fine(moderator: Moderator) -> None:
    for prompt in ("a teen reading a book", "a 12 year old at a science fair", "kids at school"):
        assert (await moderator.check_prompt(prompt, Policy.STRICT)).allowed, prompt


async def test_off_applies_only_the_minors_rule(moderator: Moderator) -> None:
    decision = await moderator.check_prompt("a decapitated body", Policy.OFF)
    assert decision.allowed
    assert decision.category is Category.VIOLENCE
    assert decision.threshold is None
    assert decision.reason.startswith("policy off")


async def test_strict_blocks_suggestive_terms_that_standard_allows(moderator: Moderator) -> None:
    prompt = "a woman in sexy lingerie"
    standard = await moderator.check_prompt(prompt, Policy.STANDARD)
    strict = await moderator.check_prompt(prompt, Policy.STRICT)
    assert standard.allowed
    assert not strict.allowed
    assert strict.category is Category.SEXUAL
    assert strict.score == standard.score == pytest.approx(0.75)  # 1 - 0.5 * 0.5
    assert strict.threshold == pytest.approx(0.8 * 0.6)


async def test_weaker_terms_of_one_category_add_up(moderator: Moderator) -> None:
    alone = await moderator.check_prompt("a corpse in a museum", Policy.STANDARD)
    together = await moderator.check_prompt("a bloody corpse", Policy.STANDARD)
    assert alone.allowed
    assert not together.allowed
    assert together.score == pytest.approx(1 - 0.3 * 0.6)


async def test_abuse_comes_from_the_profanity_model(moderator: Moderator) -> None:
    decision = await moderator.check_prompt("you stupid idiot", Policy.STANDARD)
    assert not decision.allowed
    assert decision.category is Category.ABUSE
    assert decision.score > 0.9
    assert decision.matched == ()
    assert decision.reason.startswith("profanity model")


async def test_thresholds_come_from_settings(moderation_settings: SettingsFactory) -> None:
    settings = moderation_settings(
        moderation_thresholds="violence=0.3, abuse=1.0", moderation_strict_factor=1.0
    )
    moderator = Moderator(settings)
    await moderator.start()
    try:
        bloody = await moderator.check_prompt("a bloody knife", Policy.STANDARD)
        assert (bloody.allowed, bloody.category, bloody.threshold) == (
            False,
            Category.VIOLENCE,
            0.3,
        )
        rude = await moderator.check_prompt("you stupid idiot", Policy.STANDARD)
        assert rude.allowed  # its probability is just below 1.0
        strict = await moderator.check_prompt("a woman in sexy lingerie", Policy.STRICT)
        assert strict.allowed  # factor 1: strict is standard
    finally:
        await moderator.stop()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("gore=0.5", "names unknown categories ['gore']"),
        ("violence=high", "must look like sexual=0.7,abuse=0.95"),
        ("violence=0", "thresholds must be above 0 and at most 1"),
    ],
)
def test_bad_thresholds_are_refused(
    moderation_settings: SettingsFactory, value: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        moderation_settings(moderation_thresholds=value)
    assert message in str(caught.value)


def test_policies_per_chat_type(moderation_settings: SettingsFactory) -> None:
    defaults = Moderator(moderation_settings())
    assert defaults.policy_for("private") is Policy.STANDARD
    for chat_type in ("group", "supergroup", "channel"):
        assert defaults.policy_for(chat_type) is Policy.STRICT
    custom = Moderator(moderation_settings(moderation_private="off", moderation_groups="standard"))
    assert custom.policy_for("private") is Policy.OFF
    assert custom.policy_for("group") is Policy.STANDARD
    with pytest.raises(ValidationError):
        moderation_settings(moderation_private="lenient")


def test_the_fast_profanity_path_matches_scikit_learn() -> None:
    model = ProfanityModel()
    assert model.fast
    texts = [row.prompt for row in ROWS]
    fast = model.probability(texts)
    reference = model._sklearn(texts)  # the model's own predict_proba
    assert fast == pytest.approx(reference, abs=1e-9)
    assert model.probability([]) == []
