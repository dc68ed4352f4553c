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


def _clean_env() -> dict[str, str]:
    """No configuration at all: chat must work with none."""
    return {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TERM"}}


def test_chat_in_a_terminal(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    child = pexpect.spawn(
        FULMINE,
        ["chat", "--photos", str(photos)],
        cwd=str(tmp_path),
        env=_clean_env(),
        encoding="utf-8",
        timeout=60,
    )
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
        input="/generate a red fox\n/edit make it night\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    saved = SAVED.findall(result.stdout)
    assert len(saved) == 2, result.stdout
    for path in saved:
        with Image.open(tmp_path / path if not Path(path).is_absolute() else path) as image:
            image.verify()
    assert "caption: make it night" in result.stdout
