"""Query languages for NLLB-based models, which expect the text to start with a FLORES-200 code.

The table maps the language tags Immich's UI uses (Weblate's) to FLORES-200, as Immich's
machine-learning service does, so a pack behaves here as it does there. Magpie takes the
language from the `language` setting; empty means the system locale.
"""

from __future__ import annotations

import locale
import logging
import os

log = logging.getLogger("magpie.languages")

DEFAULT_FLORES = "eng_Latn"

LANGUAGE_TO_FLORES200: dict[str, str] = {
    "af": "afr_Latn",
    "ar": "arb_Arab",
    "az": "azj_Latn",
    "be": "bel_Cyrl",
    "bg": "bul_Cyrl",
    "ca": "cat_Latn",
    "cs": "ces_Latn",
    "da": "dan_Latn",
    "de": "deu_Latn",
    "el": "ell_Grek",
    "en": "eng_Latn",
    "es": "spa_Latn",
    "et": "est_Latn",
    "fa": "pes_Arab",
    "fi": "fin_Latn",
    "fr": "fra_Latn",
    "he": "heb_Hebr",
    "hi": "hin_Deva",
    "hr": "hrv_Latn",
    "hu": "hun_Latn",
    "hy": "hye_Armn",
    "id": "ind_Latn",
    "it": "ita_Latn",
    "ja": "jpn_Hira",
    "kmr": "kmr_Latn",
    "ko": "kor_Hang",
    "lb": "ltz_Latn",
    "lt": "lit_Latn",
    "lv": "lav_Latn",
    "mfa": "zsm_Latn",
    "mk": "mkd_Cyrl",
    "mn": "khk_Cyrl",
    "mr": "mar_Deva",
    "ms": "zsm_Latn",
    "nb-NO": "nob_Latn",
    "nn": "nno_Latn",
    "nl": "nld_Latn",
    "pl": "pol_Latn",
    "pt-BR": "por_Latn",
    "pt": "por_Latn",
    "ro": "ron_Latn",
    "ru": "rus_Cyrl",
    "sk": "slk_Latn",
    "sl": "slv_Latn",
    "sr-Cyrl": "srp_Cyrl",
    "sv": "swe_Latn",
    "ta": "tam_Taml",
    "te": "tel_Telu",
    "th": "tha_Thai",
    "tr": "tur_Latn",
    "uk": "ukr_Cyrl",
    "ur": "urd_Arab",
    "vi": "vie_Latn",
    "zh-CN": "zho_Hans",
    "zh-Hans": "zho_Hans",
    "zh-TW": "zho_Hant",
}
_FLORES_CODES = frozenset(LANGUAGE_TO_FLORES200.values())


def system_language() -> str:
    """The user's language as a tag like "de-DE" from the locale ("" when unknown or C)."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable, "").split(":")[0]
        if value:
            break
    else:
        value = locale.getlocale()[0] or ""
    tag = value.split(".")[0].split("@")[0].replace("_", "-")
    return "" if tag in ("C", "POSIX") else tag


def flores_code(language: str | None) -> str:
    """The FLORES-200 code for a language tag (a setting, "" = the system's), as Immich maps it:
    the whole tag, then without its country, else English."""
    tag = (language or "").strip() or system_language()
    if tag in _FLORES_CODES:  # already a FLORES code, e.g. a setting of "deu_Latn"
        return tag
    code = LANGUAGE_TO_FLORES200.get(tag) or LANGUAGE_TO_FLORES200.get(tag.split("-")[0])
    if code is None:
        if tag:
            log.warning("no FLORES-200 code for language %r; using English", tag)
        return DEFAULT_FLORES
    return code
