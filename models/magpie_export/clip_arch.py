"""OpenAI's CLIP ViT architecture in PyTorch, with OpenAI's parameter names.

The architecture is read from the weights' shapes (width, depth, patch, resolution, context,
vocabulary), never from a table of model names, so ViT-B/32, B/16, L/14 and small test sizes
all load. Attention is written out with plain matmuls so the ONNX graphs stay simple and the
text tower can take a dynamic sequence length (causal mask and positions are sliced to it).
Export-tool code only: torch is not a runtime dependency of the app.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

HEAD_WIDTH = 64  # OpenAI CLIP: heads = width // 64


@dataclass(frozen=True)
class ClipArch:
    embed_dim: int
    image_resolution: int
    vision_layers: int
    vision_width: int
    vision_patch_size: int
    context_length: int
    vocab_size: int
    transformer_width: int
    transformer_heads: int
    transformer_layers: int
    # OpenCLIP variants of the same architecture (defaults: OpenAI's)
    quick_gelu: bool = True  # OpenAI trained with QuickGELU; most OpenCLIP models use GELU
    vision_head_width: int = HEAD_WIDTH  # ViT-H-14: 80, ViT-g-14: 88
    vision_mlp_ratio: float = 4.0  # ViT-g-14: 4.3637

    @property
    def vision_heads(self) -> int:
        return max(1, self.vision_width // self.vision_head_width)

    @property
    def vision_mlp_width(self) -> int:
        return int(self.vision_width * self.vision_mlp_ratio)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _openclip(
    embed: int,
    image: int,
    layers: int,
    width: int,
    patch: int,
    text_width: int,
    text_heads: int,
    text_layers: int,
    head_width: int = HEAD_WIDTH,
    mlp_ratio: float = 4.0,
) -> ClipArch:
    return ClipArch(
        embed, image, layers, width, patch, 77, 49408, text_width, text_heads, text_layers,
        quick_gelu=False, vision_head_width=head_width, vision_mlp_ratio=mlp_ratio,
    )  # fmt: skip


# OpenCLIP's model configs (open_clip/model_configs/*.json) of the CLIP-architecture models
# whose text side is CLIP's BPE tokenizer: LAION, DataComp, DFN, CommonPool... checkpoints.
# A "-quickgelu" suffix selects QuickGELU, as in open_clip.
OPENCLIP_ARCHS: dict[str, ClipArch] = {
    "ViT-B-32": _openclip(512, 224, 12, 768, 32, 512, 8, 12),
    "ViT-B-32-256": _openclip(512, 256, 12, 768, 32, 512, 8, 12),
    "ViT-B-16": _openclip(512, 224, 12, 768, 16, 512, 8, 12),
    "ViT-B-16-plus-240": _openclip(640, 240, 12, 896, 16, 640, 10, 12),
    "ViT-L-14": _openclip(768, 224, 24, 1024, 14, 768, 12, 12),
    "ViT-L-14-336": _openclip(768, 336, 24, 1024, 14, 768, 12, 12),
    "ViT-H-14": _openclip(1024, 224, 32, 1280, 14, 1024, 16, 24, head_width=80),
    "ViT-H-14-378": _openclip(1024, 378, 32, 1280, 14, 1024, 16, 24, head_width=80),
    "ViT-g-14": _openclip(1024, 224, 40, 1408, 14, 1024, 16, 24, head_width=88, mlp_ratio=4.3637),
}


def openclip_arch(name: str) -> ClipArch:
    """An OpenCLIP model name ("ViT-B-16", "ViT-H-14-quickgelu", "ViT-B-16__datacomp_xl...")."""
    base = name.split("__")[0]
    quick = base.endswith("-quickgelu")
    base = base.removesuffix("-quickgelu")
    if base not in OPENCLIP_ARCHS:
        known = ", ".join(OPENCLIP_ARCHS)
        raise ValueError(
            f"unknown or unsupported OpenCLIP model {name!r}: use one of {known} "
            "(optionally with -quickgelu). SigLIP, XLM-Roberta, NLLB and other models with a "
            "Hugging Face text tower need their tokenizer from the Hub and are not exported here"
        )
    arch = OPENCLIP_ARCHS[base]
    return replace(arch, quick_gelu=True) if quick else arch


# Published shapes, for --random-init only (loading real weights infers them instead).
NAMED_ARCHS: dict[str, ClipArch] = {
    "ViT-B-32": ClipArch(512, 224, 12, 768, 32, 77, 49408, 512, 8, 12),
    "ViT-B-16": ClipArch(512, 224, 12, 768, 16, 77, 49408, 512, 8, 12),
    "ViT-L-14": ClipArch(768, 224, 24, 1024, 14, 77, 49408, 768, 12, 12),
    "ViT-L-14-336": ClipArch(768, 336, 24, 1024, 14, 77, 49408, 768, 12, 12),
}
# Custom sizes for tests and experiments: "ViT-W64-L2-P8-R32" (width, layers, patch, resolution)
_CUSTOM = re.compile(r"^ViT-W(\d+)-L(\d+)-P(\d+)-R(\d+)$")


def named_arch(name: str) -> ClipArch:
    if name in NAMED_ARCHS:
        return NAMED_ARCHS[name]
    match = _CUSTOM.match(name)
    if match:
        width, layers, patch, resolution = map(int, match.groups())
        if resolution % patch:
            raise ValueError(f"{name}: resolution must be a multiple of the patch size")
        heads = max(1, width // HEAD_WIDTH)
        return ClipArch(width, resolution, layers, width, patch, 77, 49408, width, heads, layers)
    known = ", ".join(NAMED_ARCHS)
    raise ValueError(
        f"unknown architecture {name!r}: use one of {known}, or ViT-W<w>-L<n>-P<p>-R<r>"
    )


def infer_arch(state: dict[str, torch.Tensor]) -> ClipArch:
    """Read the architecture off an OpenAI-named state_dict (as OpenAI's build_model does)."""
    if "visual.proj" not in state:
        if "visual.layer1.0.conv1.weight" in state:
            raise ValueError("ResNet CLIP checkpoints (RN50...) are not supported; use a ViT model")
        raise ValueError("not an OpenAI CLIP state_dict (no 'visual.proj' weight)")
    conv = state["visual.conv1.weight"]
    vision_width, patch = conv.shape[0], conv.shape[-1]
    vision_layers = sum(
        1 for k in state if k.startswith("visual.") and k.endswith(".attn.in_proj_weight")
    )
    grid = round(math.sqrt(state["visual.positional_embedding"].shape[0] - 1))
    text_layers = len({k.split(".")[2] for k in state if k.startswith("transformer.resblocks.")})
    width = state["ln_final.weight"].shape[0]
    return ClipArch(
        embed_dim=state["text_projection"].shape[1],
        image_resolution=patch * grid,
        vision_layers=vision_layers,
        vision_width=vision_width,
        vision_patch_size=patch,
        context_length=state["positional_embedding"].shape[0],
        vocab_size=state["token_embedding.weight"].shape[0],
        transformer_width=width,
        transformer_heads=max(1, width // HEAD_WIDTH),
        transformer_layers=text_layers,
    )


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    """nn.MultiheadAttention's parameters (in_proj_*, out_proj), batch-first plain matmuls."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        batch, length, width = x.shape
        head_dim = width // self.heads
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        q, k, v = (
            t.reshape(batch, length, self.heads, head_dim).transpose(1, 2) for t in (q, k, v)
        )
        scores = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(-2, -1)
        if mask is not None:
            scores = scores + mask
        out = scores.softmax(dim=-1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(batch, length, width))


class ResidualBlock(nn.Module):
    def __init__(
        self, width: int, heads: int, mlp_width: int | None = None, quick_gelu: bool = True
    ) -> None:
        super().__init__()
        mlp_width = mlp_width or width * 4
        self.attn = Attention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, mlp_width))
        self.mlp.add_module("gelu", QuickGELU() if quick_gelu else nn.GELU())
        self.mlp.add_module("c_proj", nn.Linear(mlp_width, width))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(
        self,
        width: int,
        layers: int,
        heads: int,
        mlp_width: int | None = None,
        quick_gelu: bool = True,
    ) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(
            [ResidualBlock(width, heads, mlp_width, quick_gelu) for _ in range(layers)]
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x, mask)
        return x


class VisionTransformer(nn.Module):
    def __init__(self, arch: ClipArch) -> None:
        super().__init__()
        width, patch = arch.vision_width, arch.vision_patch_size
        grid = arch.image_resolution // patch
        scale = width**-0.5
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(grid * grid + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(
            width, arch.vision_layers, arch.vision_heads, arch.vision_mlp_width, arch.quick_gelu
        )
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, arch.embed_dim))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.conv1(image).flatten(2).transpose(1, 2)  # [B, grid*grid, width]
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.transformer(self.ln_pre(x))
        return self.ln_post(x[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    def __init__(self, arch: ClipArch) -> None:
        super().__init__()
        self.arch = arch
        self.visual = VisionTransformer(arch)
        width = arch.transformer_width
        self.transformer = Transformer(
            width, arch.transformer_layers, arch.transformer_heads, quick_gelu=arch.quick_gelu
        )
        self.token_embedding = nn.Embedding(arch.vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(arch.context_length, width))
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, arch.embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        causal = torch.full((arch.context_length, arch.context_length), float("-inf")).triu(1)
        self.register_buffer("causal_mask", causal, persistent=False)
        self.initialize_parameters()

    def initialize_parameters(self) -> None:
        """OpenAI's initialisation (used as-is for --random-init packs)."""
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        width, layers = self.arch.transformer_width, self.arch.transformer_layers
        proj_std = (width**-0.5) * ((2 * layers) ** -0.5)
        attn_std = width**-0.5
        fc_std = (2 * width) ** -0.5
        for tower in (self.transformer, self.visual.transformer):
            for block in tower.resblocks:
                nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
                nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
                nn.init.normal_(block.mlp.c_fc.weight, std=fc_std)
                nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
        nn.init.normal_(self.text_projection, std=width**-0.5)

    def encode_image(self, image: torch.Tensor) -> torch.Tensor:
        return self.visual(image)

    def encode_text(self, text: torch.Tensor) -> torch.Tensor:
        """[B, L] token ids, L <= context length; only positions up to L are computed."""
        length = text.shape[1]
        x = self.token_embedding(text) + self.positional_embedding[:length]
        x = self.transformer(x, self.causal_mask[:length, :length])
        x = self.ln_final(x)
        # the end-of-text token has the highest id: its position holds the sentence
        eot = text.argmax(dim=-1)
        return x[torch.arange(x.shape[0]), eot] @ self.text_projection


def clean_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop TorchScript archives' extra entries and DataParallel's 'module.' prefix."""
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    cleaned = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            continue
        key = key.removeprefix("module.")
        # metadata tensors and attention masks some archives carry: not weights
        if key in ("input_resolution", "context_length", "vocab_size", "causal_mask"):
            continue
        if key.endswith("attn_mask"):
            continue
        cleaned[key] = value.float()
    return cleaned


def build_from_state_dict(state: dict[str, torch.Tensor], arch: ClipArch | None = None) -> CLIP:
    """The model for a state_dict; `arch` (an OpenCLIP name's) where weights cannot tell it
    (head width, activation); every tensor must then fit it exactly."""
    state = clean_state_dict(state)
    model = CLIP(arch or infer_arch(state))
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # tensors of the wrong shape for this architecture
        raise ValueError(f"checkpoint does not match the architecture: {exc}") from None
    if missing or unexpected:
        raise ValueError(
            f"checkpoint does not match the CLIP architecture (missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(unexpected)[:5]})"
        )
    return model.eval()
