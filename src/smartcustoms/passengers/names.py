"""Names in any script to the Latin capitals of a travel document's machine-readable zone, and the keys that
matching compares.

- Cyrillic: the transliteration table of ICAO Doc 9303 Part 3 (Russian, Ukrainian, Belarusian, Serbian,
  Macedonian, Bulgarian letters), written here.
- Arabic: a table after ICAO Doc 9303 Part 3's Arabic section in its common-name form (one Latin letter or
  digraph per consonant, long vowels as A, U/W, I/Y; short vowels are not written in Arabic script, so matching
  compares consonant skeletons for names written in it).
- Latin letters with diacritics: ICAO's recommended forms (Ä AE, Ö OE, Ü UE, Å AA, Æ AE, Ø OE, ß SS, Þ TH);
  every other character (Greek, Han, Hangul, Kana, Hebrew, ...) through anyascii (Han to toneless pinyin).
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

CYRILLIC = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "ZH", "З": "Z", "И": "I",
    "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T",
    "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH", "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "",
    "Э": "E", "Ю": "IU", "Я": "IA",
    # Ukrainian, Belarusian
    "Ґ": "G", "Є": "IE", "І": "I", "Ї": "I", "Ў": "U",
    # Serbian, Macedonian
    "Ђ": "D", "Ј": "J", "Љ": "LJ", "Њ": "NJ", "Ћ": "C", "Џ": "DZ", "Ѓ": "G", "Ќ": "K", "Ѕ": "DZ",
}
ARABIC = {
    "ا": "A", "أ": "A", "إ": "I", "آ": "A", "ٱ": "A", "ء": "", "ؤ": "U", "ئ": "I", "ب": "B", "ت": "T",
    "ث": "TH", "ج": "J", "ح": "H", "خ": "KH", "د": "D", "ذ": "DH", "ر": "R", "ز": "Z", "س": "S", "ش": "SH",
    "ص": "S", "ض": "D", "ط": "T", "ظ": "Z", "ع": "", "غ": "GH", "ف": "F", "ق": "Q", "ك": "K", "ل": "L",
    "م": "M", "ن": "N", "ه": "H", "ة": "A", "و": "W", "ي": "Y", "ى": "A", "پ": "P", "چ": "CH", "ژ": "ZH",
    "گ": "G", "ک": "K", "ی": "Y",
    # short-vowel marks (rarely written) and the shadda
    "\u064e": "A", "\u064f": "U", "\u0650": "I", "\u0651": "", "\u0652": "", "\u064b": "", "\u064c": "",
    "\u064d": "", "\u0640": "",
}
# the other common romanisation of Cyrillic in passports and lists (BGN/PCGN-like): compared besides ICAO's
CYRILLIC_COMMON = dict(CYRILLIC, **{"Я": "YA", "Ю": "YU", "Й": "Y", "Ё": "YO", "Ъ": "", "Ь": "", "Ы": "Y",
                                    "Ц": "TS", "Х": "KH", "Ж": "ZH"})
LATIN = {"Ä": "AE", "Ö": "OE", "Ü": "UE", "Å": "AA", "Æ": "AE", "Ø": "OE", "ß": "SS", "Þ": "TH", "Ð": "D",
         "Œ": "OE", "Ĳ": "IJ", "Ł": "L", "Đ": "D", "Ħ": "H", "Ŧ": "T", "ẞ": "SS"}
TITLES = {"MR", "MRS", "MS", "MISS", "MSTR", "DR", "PROF", "SIR", "MME", "MLLE", "M"}
VOWELS = set("AEIOUYW")
_NOT_LETTERS = re.compile(r"[^A-Z ]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Name:
    """A name as matching sees it: Latin capitals (words kept), the script it was written in, and keys."""

    text: str  # e.g. "MOHAMED ALI"
    script: str  # latin, cyrillic, arabic, han, other
    variant: str = ""  # another romanisation (Cyrillic: the common one besides ICAO's)

    @property
    def joined(self) -> str:
        return self.text.replace(" ", "")

    @property
    def skeleton(self) -> str:
        return skeleton(self.text)


def script_of(text: str) -> str:
    for char in text:
        if not char.isalpha():
            continue
        code = ord(char)
        if 0x0400 <= code <= 0x052F:
            return "cyrillic"
        if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
            return "arabic"
        if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            return "han"
        if code < 0x0250:
            continue
        return "other"
    return "latin"


def _letter(char: str) -> str:
    upper = char.upper()
    if upper in CYRILLIC:
        return CYRILLIC[upper]
    if char in ARABIC:
        return ARABIC[char]
    if upper in LATIN:
        return LATIN[upper]
    if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf":
        return anyascii(char) + " "  # one syllable per character: the words of a Chinese given name
    return anyascii(char)


@lru_cache(maxsize=200_000)
def normalise(text: str | None) -> Name:
    """Latin capitals and single spaces; hyphens and apostrophes join (O'BRIEN, JEAN-PIERRE -> JEANPIERRE stays
    one word); titles dropped."""
    if not text:
        return Name("", "latin")
    text = unicodedata.normalize("NFC", str(text)).strip()
    script = script_of(text)
    latin = "".join(_letter(char) for char in text).upper()
    latin = latin.replace("'", "").replace("`", "").replace("-", " ")
    latin = _NOT_LETTERS.sub(" ", latin)
    if script == "han":  # pinyin syllables of one name run together (XIU YING -> XIUYING) per original word
        words = [w for w in text.split() if w]
        latin = " ".join(_NOT_LETTERS.sub("", "".join(_letter(c) for c in w).upper()) for w in words)
    titles = TITLES if script == "latin" else set()
    words = [word for word in _SPACES.split(latin) if word and word not in titles]
    variant = ""
    if script == "cyrillic":
        common = "".join(CYRILLIC_COMMON.get(c.upper(), c) for c in text).upper().replace("IY ", "Y ")
        common = _NOT_LETTERS.sub(" ", common.replace("-", " ") + " ").replace("IY ", "Y ")
        variant = " ".join(w for w in _SPACES.split(common) if w)
    return Name(" ".join(words), script, variant)


def skeleton(text: str) -> str:
    """Consonants only, doubled letters once: MOHAMED, MUHAMMAD and محمد all give MHMD."""
    out = []
    for char in text.replace(" ", ""):
        if char in VOWELS:
            continue
        if out and out[-1] == char:
            continue
        out.append(char)
    return "".join(out)
