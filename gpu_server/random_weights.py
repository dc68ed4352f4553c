"""FLUX pipelines with random weights, built from configurations: no download.

``tiny``: a few thousand parameters, for tests and the CPU benchmark. ``full``: the real
FLUX.1 architecture (12B transformer, T5-XXL encoder, CLIP-L, the 16-channel VAE) with
random weights: the same arithmetic per step as the released models, for throughput
measurements on a GPU. Tokenizers are built in memory from a small word list; their ids
fit every vocabulary, and prompts are padded to fixed lengths, so the compute is the same
as with the real tokenizers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Literal

import torch
from diffusers import (
    AutoencoderKL,
    FlowMatchEulerDiscreteScheduler,
    FluxKontextPipeline,
    FluxPipeline,
    FluxTransformer2DModel,
)
from transformers import (
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTokenizer,
    T5Config,
    T5EncoderModel,
    T5Tokenizer,
)

Size = Literal["tiny", "full"]
WORDS = (
    *("a", "an", "the", "of", "in", "on", "at", "with", "and", "to", "make", "it", "turn"),
    *("into", "photo", "painting", "drawing", "red", "green", "blue", "yellow", "black"),
    *("white", "fox", "cat", "dog", "boat", "house", "tree", "sky", "sea", "city", "street"),
    *("portrait", "style", "warm-up", "lighthouse", "dusk", "night", "day", "sun", "moon"),
)

TRANSFORMER: dict[Size, dict[str, Any]] = {
    "tiny": {
        "patch_size": 1,
        "in_channels": 4,
        "num_layers": 1,
        "num_single_layers": 1,
        "attention_head_dim": 16,
        "num_attention_heads": 2,
        "joint_attention_dim": 32,
        "pooled_projection_dim": 32,
        "axes_dims_rope": (4, 4, 8),
    },
    "full": {  # FLUX.1 [schnell]/[dev]/Kontext: 19 double and 38 single blocks, 3072 wide
        "patch_size": 1,
        "in_channels": 64,
        "num_layers": 19,
        "num_single_layers": 38,
        "attention_head_dim": 128,
        "num_attention_heads": 24,
        "joint_attention_dim": 4096,
        "pooled_projection_dim": 768,
        "axes_dims_rope": (16, 56, 56),
    },
}
CLIP: dict[Size, dict[str, Any]] = {
    "tiny": {
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "projection_dim": 32,
        "vocab_size": 128,
    },
    "full": {
        "hidden_size": 768,
        "intermediate_size": 3072,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "projection_dim": 768,
        "vocab_size": 49408,
        "hidden_act": "quick_gelu",
    },
}
T5: dict[Size, dict[str, Any]] = {
    "tiny": {
        "vocab_size": 128,
        "d_model": 32,
        "d_ff": 37,
        "d_kv": 8,
        "num_heads": 4,
        "num_layers": 2,
    },
    "full": {
        "vocab_size": 32128,
        "d_model": 4096,
        "d_ff": 10240,
        "d_kv": 64,
        "num_heads": 64,
        "num_layers": 24,
    },  # T5 v1.1 XXL encoder
}
VAE: dict[Size, dict[str, Any]] = {
    "tiny": {
        "block_out_channels": (4,),
        "layers_per_block": 1,
        "latent_channels": 1,
        "norm_num_groups": 1,
        "sample_size": 32,
    },
    "full": {
        "block_out_channels": (128, 256, 512, 512),
        "layers_per_block": 2,
        "latent_channels": 16,
        "norm_num_groups": 32,
        "sample_size": 1024,
    },
}


@contextlib.contextmanager
def _creating_on(device: torch.device, dtype: torch.dtype) -> Iterator[None]:
    """New parameters are made on ``device`` in ``dtype`` (12B parameters never visit the
    host or float32)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with device:
            yield
    finally:
        torch.set_default_dtype(previous)


def clip_tokenizer() -> CLIPTokenizer:
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    # Letters (no merges): any lower-case word becomes a token per letter, none unknown.
    for letter in "abcdefghijklmnopqrstuvwxyz-":
        vocab.setdefault(letter, len(vocab))
        vocab.setdefault(f"{letter}</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def t5_tokenizer() -> T5Tokenizer:
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    vocab += [(f"\u2581{word}", -1.0) for word in dict.fromkeys(WORDS)]
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=512)


def build_pipeline(
    kind: Literal["generate", "edit"],
    size: Size = "tiny",
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> Any:
    """A FluxPipeline (generate; schnell-like, no guidance embedding) or FluxKontextPipeline
    (edit; dev-like, with guidance embedding) with random weights."""
    torch.manual_seed(seed)
    target = torch.device(device)
    with _creating_on(target, dtype):
        transformer = FluxTransformer2DModel(**TRANSFORMER[size], guidance_embeds=kind == "edit")
        text_encoder = CLIPTextModel(
            CLIPTextConfig(
                bos_token_id=0,
                eos_token_id=1,
                pad_token_id=1,
                max_position_embeddings=77,
                **CLIP[size],
            )
        )
        text_encoder_2 = T5EncoderModel(
            T5Config(
                feed_forward_proj="gated-gelu",
                is_encoder_decoder=False,
                use_cache=False,
                **T5[size],
            )
        )
        vae = AutoencoderKL(
            in_channels=3,
            out_channels=3,
            down_block_types=("DownEncoderBlock2D",) * len(VAE[size]["block_out_channels"]),
            up_block_types=("UpDecoderBlock2D",) * len(VAE[size]["block_out_channels"]),
            use_quant_conv=False,
            use_post_quant_conv=False,
            shift_factor=0.1159,
            scaling_factor=0.3611,
            **VAE[size],
        )
    scheduler = (
        FlowMatchEulerDiscreteScheduler(shift=1.0, use_dynamic_shifting=False)
        if kind == "generate"
        else FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True)
    )
    pipeline_class = FluxPipeline if kind == "generate" else FluxKontextPipeline
    pipeline = pipeline_class(
        scheduler=scheduler,
        text_encoder=torch.nn.Module.eval(text_encoder),
        text_encoder_2=torch.nn.Module.eval(text_encoder_2),
        tokenizer=clip_tokenizer(),
        tokenizer_2=t5_tokenizer(),
        transformer=transformer.eval(),
        vae=vae.eval(),
    )
    pipeline.to(target)
    return pipeline
