"""``fulmine chat`` driven as a person would: in a pseudo-terminal, and through a pipe."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
from PIL import Image

from bot import texts

FULMINE = str(Path(sys.executable).with_name("fulmine"))
SAVED = re.compile(r"saved to (\S+\.png)")


def _clean_env(**settings: str) -> dict[str, str]:
    """No configuration at all but ``settings``: chat must work with none. (PYTHONPATH is
    where Python finds the code under test, not configuration.)"""
    kept = {"PATH", "HOME", "LANG", "TERM", "PYTHONPATH"}
    return {k: v for k, v in os.environ.items() if k in kept} | settings


def _spawn(tmp_path: Path, photos: Path) -> pexpect.spawn:
    return pexpect.spawn(
        FULMINE,
        ["chat", "--photos", str(photos)],
        cwd=str(tmp_path),
        env=_clean_env(),
        encoding="utf-8",
        timeout=60,
    )


def test_chat_in_a_terminal(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    child = _spawn(tmp_path, photos)
    try:
        child.expect_exact("you> ")
        child.sendline("/generate a red fox")
        child.expect_exact(texts.text("status_accepted"))
        child.expect(SAVED)
        fox = Path(child.match.group(1))
        child.expect_exact("caption: a red fox")
        child.expect_exact("you> ")
        with Image.open(fox) as image:
            assert image.format == "PNG"
            assert image.size == (768, 768)

        child.sendline("/edit make it blue")
        child.expect(SAVED)
        edited = Path(child.match.group(1))
        assert edited != fox
        with Image.open(edited) as image:
            assert image.size == (768, 768)

        child.sendline("/generate")
        child.expect_exact("What should I draw?")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert sorted(p.name for p in photos.iterdir()) == ["photo-001.png", "photo-002.png"]


def test_chat_reads_a_pipe_and_exits_after_the_last_reply(tmp_path: Path) -> None:
    result = subprocess.run(
        [FULMINE, "chat", "--photos", "out"],
        input="/generate a red fox\n/edit make it night\n/upscale\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    saved = SAVED.findall(result.stdout)
    assert len(saved) == 3, result.stdout  # the image, its edit, the edit upscaled
    assert "[file] saved to" in result.stdout
    for path in saved:
        with Image.open(tmp_path / path if not Path(path).is_absolute() else path) as image:
            image.verify()
    assert "caption: make it night" in result.stdout


def _labels(*buttons: str) -> list[str]:
    return [re.escape(texts.text(f"button_{button}")) for button in buttons]


def test_pressing_the_buttons_under_an_image(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    child = _spawn(tmp_path, photos)
    try:
        child.expect_exact("you> ")
        child.sendline("/generate a red fox")
        child.expect(SAVED)
        regenerate, variations = _labels("regenerate", "variations")
        child.expect(rf"#(\d+) \[1\] {regenerate}  \[2\] {variations}\s+")
        image_message = child.match.group(1)
        upscale, original, details = _labels("upscale", "original", "details")
        child.expect(rf"\[3\] {upscale}  \[4\] {original}  \[5\] {details}")
        child.expect_exact("you> ")

        child.sendline("/press 3")
        child.expect_exact(texts.text("status_accepted"))
        child.expect(r"\[file\] saved to (\S+\.png)")
        with Image.open(child.match.group(1)) as upscaled:
            assert upscaled.size == (1536, 1536)
        child.expect_exact("you> ")

        child.sendline(f"/press 5 {image_message}")  # Details: the answer is a pop-up
        child.expect(r"bot> \[pop-up\] Seed \d+ ")
        child.expect_exact("you> ")
        child.sendline("/press 9")
        child.expect_exact(f"(Message #{image_message} has buttons 1 to 5.)")
        child.sendline("/press one")
        child.expect_exact("(Press a button with /press N, or /press N M for message #M.)")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_a_second_person_and_a_group(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    child = _spawn(tmp_path, photos)
    try:
        child.expect_exact("you> ")
        child.sendline("/as ann")
        child.expect_exact("(new person; now ann)")
        child.expect_exact("ann> ")
        child.sendline("/group")
        child.expect_exact("ann@group> ")
        child.sendline("/generate")  # asks; her next line answers, as a reply
        child.expect_exact("What should I draw?")
        child.expect_exact("ann@group> ")
        child.sendline("a cat on a roof")
        child.expect(SAVED)
        child.expect_exact("caption: ann: a cat on a roof")
        child.expect_exact("ann@group> ")

        child.sendline("/as you")
        child.expect_exact("you@group> ")
        child.sendline("/press 1")  # Regenerate under ann's image
        child.expect_exact("bot> [pop-up] Only the person who asked for this image")
        child.expect_exact("you@group> ")
        child.sendline("just chatting")  # in a group: not a command, not an answer
        child.expect_exact("you@group> ")
        assert "bot" not in (child.before or "").replace("just chatting", "")
        child.sendline("/private")
        child.expect_exact("you> ")
        child.sendline("/chat")
        child.expect_exact("Here: you (1), ann (2); now you")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_messages_in_another_chat_say_where_they_went(tmp_path: Path) -> None:
    lines = ["/group", "/balance", "/as ann", "/balance", "/as !", "/as you", "/private"]
    result = subprocess.run(
        [FULMINE, "chat", "--photos", "out"],
        input="/start\n" + "\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(PAYMENTS_BACKEND="fake"),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # You opened a private chat (/start): your balance goes there, the group hears where.
    assert "bot (to you)> Your credits: 0 sats" in out
    assert "bot> You, I sent you a private message." in out
    # Ann never did: the bot cannot write to her first, and says how to open one.
    assert "bot> I keep that between us, but I can't write to you first." in out
    assert "(A name is 1 to 32 letters" in out
    assert out.index("(now you@group)") < out.index("(now you)")
