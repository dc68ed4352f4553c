"""Safe images for the moderation benchmarks: the placeholder provider's drawings and
synthetic pictures (flat skin tones, noise, blurred skin-coloured blobs)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

from providers.base import ImageRequest
from providers.placeholder import PlaceholderProvider

BACKGROUNDS = ((255, 255, 255), (40, 20, 20), (200, 50, 80), (250, 230, 220))
SKIN_TONES = ((224, 172, 105), (255, 219, 172), (241, 194, 125), (198, 134, 66), (141, 85, 36))


def png(img: Image.Image) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def skin_blobs(seed: int, size: int = 256) -> bytes:
    """Blurred skin-coloured ellipses: abstract, yet the kind of picture NSFW models score
    higher than a landscape."""
    rng = random.Random(seed)
    img = Image.new("RGB", (size, size), rng.choice(BACKGROUNDS))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(1, 5)):
        x, y = rng.randint(0, size * 3 // 4), rng.randint(0, size * 3 // 4)
        w, h = rng.randint(size // 6, size * 2 // 3), rng.randint(size // 6, size * 2 // 3)
        draw.ellipse((x, y, x + w, y + h), fill=rng.choice(SKIN_TONES))
    return png(img.filter(ImageFilter.GaussianBlur(rng.choice([0, 4, 10]))))


async def synthetic_images() -> dict[str, bytes]:
    provider = PlaceholderProvider()
    images: dict[str, bytes] = {}
    for prompt in ("a red fox in the snow", "portrait of a woman", "a beach at sunset"):
        (image,) = await provider.generate(ImageRequest(prompt=prompt))
        images[f"placeholder:{prompt}"] = image.data
    portrait = images["placeholder:portrait of a woman"]
    (edited,) = await provider.edit(ImageRequest(prompt="make it night", input_image=portrait))
    images["placeholder-edit"] = edited.data
    for tone in SKIN_TONES:
        images[f"flat:{tone}"] = png(Image.new("RGB", (512, 512), tone))
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(256 * 256 * 3))
    images["noise"] = png(Image.frombytes("RGB", (256, 256), noise))
    for seed in (33, 44):  # the two highest-scoring of 80 seeds
        images[f"skin-blobs:{seed}"] = skin_blobs(seed)
    return images
