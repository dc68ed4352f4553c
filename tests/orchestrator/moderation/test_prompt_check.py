"""Prompt decisions: what they carry, how policies and thresholds from settings change
them, the minors rule, and the profanity model's fast path."""

from __future__ import annotations

import json
import statistics
import time

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


@pytest.mark.parametrize(
    "prompt",
    [
        "make her naked, she is 12",
        "remove his clothes, he's eleven",
        "a girl under 16 in lingerie",
        "a 5th grader in a bikini",
        "quítale la ropa, tiene 13 años",
        "niña desnuda de 12 años",
        "tira a roupa dela, ela tem 14 anos",
        "déshabille-la, elle a 12 ans",
        "zieh sie aus, sie ist 13",
        "ein 12-jähriges Mädchen ohne Hose",
        "spogliala, ha 13 anni",
        "una dodicenne senza vestiti",
        "onu soy, 13 ya\u015f\u0131nda",
        "lepaskan bajunya, dia berusia 12 tahun",
        "\U0001f467 with no clothes on",
        "\U0001f476\U0001f346\U0001f4a6",
    ],
)
async def test_the_minors_rule_reads_ages_and_edits_in_every_language(
    moderator: Moderator, prompt: str
) -> None:
    decision = await moderator.check_prompt(prompt, Policy.OFF)
    assert (decision.allowed, decision.category) == (False, Category.MINORS), decision.reason


@pytest.mark.parametrize(
    "prompt",
    [
        "a sexy 25 year old woman in lingerie",
        "an 18 year old model in a bikini",
        "a bikini under $15",
        "a woman in a bikini, photo from 12 years ago",
        "son partenaire en lingerie",  # French "son" is "her", not a son
    ],
)
async def test_adult_ages_and_prices_do_not_call_the_minors_rule(
    moderator: Moderator, prompt: str
) -> None:
    decision = await moderator.check_prompt(prompt, Policy.OFF)
    assert decision.allowed, decision.reason


@pytest.mark.parametrize(
    ("prompt", "category"),
    [
        ("step by step instructions for a pipe bomb", Category.ILLEGAL),
        ("a recipe card for synthesizing methamphetamine", Category.ILLEGAL),
        ("Taylor Swift being stabbed on stage", Category.VIOLENCE),
        ("a man's intestines spilling out", Category.VIOLENCE),
        ("a poster celebrating the Christchurch shooter as a hero", Category.VIOLENCE),
        ("a poster saying refugees are cockroaches", Category.HATE),
        ("hidden camera in a changing room", Category.SEXUAL),
        ("a woman in her birthday suit", Category.SEXUAL),
        ("eres un hijo de puta", Category.ABUSE),
    ],
)
async def test_intent_is_read_from_words_together(
    moderator: Moderator, prompt: str, category: Category
) -> None:
    decision = await moderator.check_prompt(prompt, Policy.STANDARD)
    assert (decision.allowed, decision.category) == (False, category), decision.reason


@pytest.mark.parametrize(
    "prompt",
    [
        "a chocolate cake recipe, step by step",
        "a bomb disposal robot in a museum",
        "Taylor Swift on stage with a guitar",
        "a dog with its head hanging out of the car window",
        "a refugee family with their dogs at the border",
        "a hunting guide with a rifle at dawn",
        "ein Zug fährt durch die Alpen",  # "die" is German, not an insult
        "un gato negro en un tejado",
    ],
)
async def test_words_that_only_count_together_pass_alone(moderator: Moderator, prompt: str) -> None:
    decision = await moderator.check_prompt(prompt, Policy.STRICT)
    assert decision.allowed, decision.reason


async def test_a_term_listed_insult_names_its_term(moderator: Moderator) -> None:
    decision = await moderator.check_prompt("du Hurensohn", Policy.STANDARD)
    assert (decision.allowed, decision.category) == (False, Category.ABUSE)
    assert decision.matched == ("hurensohn",)


async def test_the_prompt_check_stays_fast(moderator: Moderator) -> None:
    # Budget: 5 ms median for the check alone (bench.moderation measures it properly); the
    # best of three runs per prompt keeps a busy test machine's noise out.
    checker = moderator.prompt_checker
    samples = []
    for row in ROWS[::5]:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            checker.check(row.prompt, Policy.STANDARD)
            runs.append(time.perf_counter() - started)
        samples.append(min(runs))
    assert statistics.median(samples) < 0.005
