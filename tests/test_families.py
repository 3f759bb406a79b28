"""Every model family Immich ships, as a tiny pack with that family's inputs, configs and
tokenizer: Magpie must feed each graph exactly what Immich's own service feeds it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from magpie.core import imaging
from magpie.core.encoders import ClipModel, ImageEncoder, TextEncoder, l2_normalise
from magpie.core.packs import PreprocessConfig, load_pack
from magpie.core.tokenize import clean_text
from PIL import Image

from tests.helpers.families import (
    FAMILIES,
    Family,
    immich_feeds,
    immich_image_tensor,
    make_family_pack,
)

QUERIES = [
    "a dog on a bench",
    "A Dog, on a Bench!",
    "  ein   Hund\tauf einer Bank ",
    "dog’s bone &amp; cat's toy",
    "Straße in München",
    "東京タワーの夜景",
    "",
    "the quick brown fox jumps over the lazy dog " * 12,  # longer than any context
]


@pytest.fixture(scope="module")
def family_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("families")


def _pack(root: Path, family: Family) -> Path:
    path = root / family.name
    return path if path.is_dir() else make_family_pack(root, family)


def _noise(path: Path, size: tuple[int, int], seed: int) -> Path:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_text_reaches_the_graph_as_immich_sends_it(family_root: Path, family: Family):
    pack = _pack(family_root, family)
    loaded = load_pack(pack)
    encoder = TextEncoder(loaded, language="de")
    reference = ort.InferenceSession(str(pack / "textual" / "model.onnx"))
    assert [i.name for i in reference.get_inputs()] == list(family.text_inputs)
    for text in QUERIES:
        feeds = immich_feeds(pack, text, language="de")
        tokens = encoder.tokenizer.encode([text], pad_to_context=encoder._pad_to_context)
        assert tokens.ids[0].tolist() == feeds[family.text_inputs[0]][0].tolist(), text
        if "attention_mask" in feeds:
            assert tokens.attention_mask[0].tolist() == feeds["attention_mask"][0].tolist()
        want = l2_normalise(reference.run(None, feeds)[0])[0]
        np.testing.assert_allclose(encoder.encode([text])[0], want, atol=1e-5, err_msg=text)
    # several queries through the static batch-1 graph: each as if alone
    together = encoder.encode(QUERIES)
    alone = np.stack([encoder.encode([q])[0] for q in QUERIES])
    np.testing.assert_allclose(together, alone, atol=1e-6)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_photos_reach_the_graph_as_immich_sends_them(
    family_root: Path, family: Family, tmp_path: Path
):
    pack = _pack(family_root, family)
    loaded = load_pack(pack)
    assert loaded.preprocess.arithmetic == "immich"
    encoder = ImageEncoder(loaded)
    reference = ort.InferenceSession(str(pack / "visual" / "model.onnx"))
    for i, size in enumerate([(400, 300), (300, 451), (1338, 1000), (97, 61)]):
        photo = _noise(tmp_path / f"photo-{i}.png", size, seed=i)
        with Image.open(photo) as opened:
            want = immich_image_tensor(opened, pack)
        got = imaging.load_for_model(photo, loaded.preprocess)
        np.testing.assert_allclose(got, want[0], atol=1e-5, err_msg=str(size))
        expected = l2_normalise(reference.run(None, {"image": want})[0])[0]
        np.testing.assert_allclose(encoder.encode_files([photo])[0], expected, atol=1e-5)


def _family(name: str) -> Family:
    return next(f for f in FAMILIES if f.name.startswith(name))


@pytest.mark.logs_warnings  # an unknown language is warned about, then English is used
def test_nllb_queries_start_with_the_language_code(
    family_root: Path, monkeypatch: pytest.MonkeyPatch
):
    pack = load_pack(_pack(family_root, _family("nllb")))
    assert pack.needs_language_code
    german = TextEncoder(pack, language="de")
    vocab = german.tokenizer._tokenizer.get_vocab()
    ids = german.tokenizer.encode(["ein Hund"]).ids[0].tolist()
    assert ids[:2] == [vocab["eng_Latn"], vocab["deu_Latn"]]  # the template's, then ours
    assert german.language_code == "deu_Latn"
    # no setting: the system locale decides; unknown languages fall back to English
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    assert TextEncoder(pack, language="").language_code == "fra_Latn"
    assert TextEncoder(pack, language="pt-BR").language_code == "por_Latn"
    assert TextEncoder(pack, language="xx-YY").language_code == "eng_Latn"
    french = TextEncoder(pack, language="")
    assert not np.allclose(french.encode(["ein Hund"]), german.encode(["ein Hund"]))
    # other families never get a code
    assert (
        TextEncoder(load_pack(_pack(family_root, FAMILIES[0])), language="de").language_code == ""
    )


def test_the_language_setting_reaches_the_engine_model(family_root: Path, library_dir: Path):
    from magpie.core.engine import Engine
    from magpie.core.pack_store import import_pack

    engine = Engine(library_dir)
    import_pack(engine.library, _pack(family_root, _family("nllb")))
    settings = engine.library.load_settings()
    settings.language = "ja"
    engine.library.save_settings(settings)
    assert engine.clip.text.language_code == "jpn_Hira"
    engine.close()


def test_towers_that_attend_to_padding_are_padded_even_when_dynamic(tmp_path: Path):
    siglip = make_family_pack(tmp_path, _family("ViT-B-16-SigLIP"), batch="b", seq="s")
    encoder = TextEncoder(load_pack(siglip))
    assert encoder._pad_to_context  # non-causal: fed exactly as exported
    feeds = immich_feeds(siglip, "a dog on a bench")
    assert encoder.tokenizer.encode(["a dog on a bench"], pad_to_context=True).ids.shape == (
        1,
        64,
    )
    reference = ort.InferenceSession(str(siglip / "textual" / "model.onnx"))
    want = l2_normalise(reference.run(None, feeds)[0])[0]
    np.testing.assert_allclose(encoder.encode(["a dog on a bench"])[0], want, atol=1e-5)
    clip = make_family_pack(tmp_path / "c", FAMILIES[0], batch="b", seq="s")
    assert not TextEncoder(load_pack(clip))._pad_to_context  # causal CLIP: real tokens only


def test_immich_packs_get_immich_text_cleanup(family_root: Path):
    pack = load_pack(_pack(family_root, FAMILIES[0]))
    assert pack.text_clean == "immich"
    assert clean_text("dog’s  &amp;", style="immich") == "dog’s &amp;"
    assert clean_text("dog’s  &amp;", style="openai") == "dog's &"
    assert clean_text("A Dog, on a Bench!", canonicalize=True, style="immich") == "a dog on a bench"


def _cfg(arithmetic: str, size: int = 224) -> PreprocessConfig:
    half = (0.5, 0.5, 0.5)
    return PreprocessConfig(size, size, half, half, "bicubic", "shortest", arithmetic)  # type: ignore[arg-type]


def test_resize_arithmetic_follows_the_pack():
    # the example: 4:3 at 224 is 298 wide, cropped from x=37 (rounding gave 299 and 38)
    assert imaging.shortest_geometry(400, 300, _cfg("immich")) == (298, 224, 37, 0)
    assert imaging.shortest_geometry(300, 400, _cfg("immich")) == (224, 298, 0, 37)
    # 299 wide: Immich truncates the half pixel of the offset, torchvision rounds it
    assert imaging.shortest_geometry(1338, 1000, _cfg("immich")) == (299, 224, 37, 0)
    assert imaging.shortest_geometry(1338, 1000, _cfg("torchvision")) == (299, 224, 38, 0)


def test_magpie_exports_keep_openai_conventions(tmp_path: Path):
    from tests.helpers.packs import make_colour_pack

    pack_dir = make_colour_pack(tmp_path / "p")
    config = pack_dir / "config.json"
    import json

    data = json.loads(config.read_text())
    data["magpie"] = {"exporter": "magpie models export"}
    config.write_text(json.dumps(data))
    pack = load_pack(pack_dir)
    assert pack.text_clean == "openai" and pack.preprocess.arithmetic == "torchvision"
    assert pack.causal_text
    assert ClipModel(pack, "cpu").text.tokenizer.style == "openai"
