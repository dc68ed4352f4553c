from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from bot.intake.options import ImageOptions, OptionProblem, ParsedCommand, parse_options
from bot.results.buttons import Action, callback_data, parse_press
from state.models import JobKind


@pytest.mark.parametrize(
    ("text", "prompt", "options"),
    [
        ("a red fox", "a red fox", ImageOptions()),
        ("a fox --ar 16:9", "a fox", ImageOptions(aspect_ratio="16:9")),
        ("--n 2 a cat --seed 42", "a cat", ImageOptions(seed=42, num_images=2)),
        ("a fox --AR=9:16 --n=4", "a fox", ImageOptions(aspect_ratio="9:16", num_images=4)),
        ("a fox \u2014ar 4:3", "a fox", ImageOptions(aspect_ratio="4:3")),  # phone's em dash
        ("line one\nline two --seed 0", "line one\nline two", ImageOptions(seed=0)),
        ("a -- b", "a -- b", ImageOptions()),
        ("--seed 7", "", ImageOptions(seed=7)),
        ("a fox --ar16:9", "a fox", ImageOptions(aspect_ratio="16:9")),  # value glued on
        ("a fox -n 2", "a fox", ImageOptions(num_images=2)),  # one hyphen
        ("a fox -n2 --seed42", "a fox", ImageOptions(seed=42, num_images=2)),
        ("a fox \u2013ar 16:9", "a fox", ImageOptions(aspect_ratio="16:9")),  # en dash
        ("a fox \u2014AR 16:9", "a fox", ImageOptions(aspect_ratio="16:9")),
        ("a fox \u2014enhance", "a fox", ImageOptions(enhance=True)),
        ("a t-shirt - red, -5 degrees", "a t-shirt - red, -5 degrees", ImageOptions()),
    ],
)
def test_options_are_cut_out_of_the_prompt(text: str, prompt: str, options: ImageOptions) -> None:
    assert parse_options(text, JobKind.GENERATE) == ParsedCommand(prompt, options)


@pytest.mark.parametrize(
    ("text", "kind", "key", "fields"),
    [
        ("a fox --style anime", JobKind.GENERATE, "option_unknown", {"option": "--style"}),
        ("a fox --ar", JobKind.GENERATE, "option_needs_value", {"option": "--ar"}),
        ("a fox --ar --n 2", JobKind.GENERATE, "option_needs_value", {"option": "--ar"}),
        ("a fox --ar 7:3", JobKind.GENERATE, "option_bad_ar", {"value": "7:3"}),
        ("a fox --seed -1", JobKind.GENERATE, "option_bad_seed", {"value": "-1"}),
        ("a fox --seed 4294967296", JobKind.GENERATE, "option_bad_seed", {}),
        ("a fox --n 5", JobKind.GENERATE, "option_bad_n", {"value": "5", "max": 4}),
        ("a fox --n 0", JobKind.GENERATE, "option_bad_n", {"value": "0"}),
        ("a fox --n two", JobKind.GENERATE, "option_bad_n", {"value": "two"}),
        # Digits to str.isdigit, not to int: a problem to name, not an exception.
        ("a fox --seed ²", JobKind.GENERATE, "option_bad_seed", {"value": "²"}),
        ("a fox --n ¹", JobKind.GENERATE, "option_bad_n", {"value": "¹"}),
        (
            "a fox --seed " + "9" * 4000,
            JobKind.GENERATE,
            "option_bad_seed",
            {"value": "9" * 31 + "…"},
        ),
        ("night --ar 1:1", JobKind.EDIT, "option_generate_only", {"option": "--ar"}),
        ("a fox -style anime", JobKind.GENERATE, "option_unknown", {"option": "--style"}),
        ("a fox \u2014Style anime", JobKind.GENERATE, "option_unknown", {"option": "--style"}),
        ("a fox --style.anime", JobKind.GENERATE, "option_unknown", {"option": "--style"}),
        ("a fox --ar_16:9", JobKind.GENERATE, "option_unknown", {"option": "--ar_16"}),
        ("a fox \u2014n", JobKind.GENERATE, "option_needs_value", {"option": "--n"}),
        ("a fox -n -ar 1:1", JobKind.GENERATE, "option_needs_value", {"option": "--n"}),
    ],
)
def test_bad_options_name_the_problem(
    text: str, kind: JobKind, key: str, fields: dict[str, Any]
) -> None:
    problem = parse_options(text, kind)
    assert isinstance(problem, OptionProblem)
    assert problem.key == key
    assert fields.items() <= problem.fields.items()
    assert texts.text(problem.key, **problem.fields)  # every field the text needs is there


def test_edit_takes_count_and_seed() -> None:
    parsed = parse_options("make it night --n 2 --seed 3", JobKind.EDIT)
    assert parsed == ParsedCommand("make it night", ImageOptions(seed=3, num_images=2))


def test_button_data_fits_telegram_and_round_trips() -> None:
    job_id = "0123456789abcdef0123456789abcdef"
    for action in Action:
        data = callback_data(action, job_id)
        assert len(data.encode()) <= 64
        press = parse_press(data)
        assert press is not None
        assert (press.action, press.job_id) == (action, job_id)
    for foreign in (None, "", "x:abc", "r:", "r:../etc", "r"):
        assert parse_press(foreign) is None
    with pytest.raises(ValueError, match="64"):
        callback_data(Action.REGENERATE, "a" * 70)


SPELLINGS = ("--ar 17:9", "--ar17:9", "--ar=17:9", "--AR 17:9", "-ar 17:9", "\u2014ar 17:9")


@pytest.mark.parametrize("spelling", [*SPELLINGS, "\u2013ar 17:9", "\u2014AR17:9"])
def test_every_spelling_of_an_option_gets_the_same_answer(spelling: str) -> None:
    assert parse_options(f"a fox {spelling}", JobKind.GENERATE) == parse_options(
        "a fox --ar 17:9", JobKind.GENERATE
    )
