"""The ASCII spelling of the letters a display name may hold, for the names derived from it.

`python scripts/ascii_spellings.py` prints the table that `ascii_spellings` in copier.yml
holds; tests/test_questions.py checks that the table there is exactly this one.

Copier's Jinja has no filter that transliterates, so `project_slug`'s default looks each
character of the lowercased `project_name` up in this table: "Ünïcode Service" gives
`unicode-service`. The table maps a spelling to the characters spelled so:

- a letter or a digit of the Basic Multilingual Plane whose compatibility decomposition
  (NFKD) without its combining marks is ASCII letters and digits: é e, ﬁ fi, ² 2, and the
  fullwidth forms;
- a Latin letter that does not decompose, as the base letter its Unicode name gives
  ("LATIN SMALL LETTER O WITH STROKE", ø, is o; "LATIN SMALL LETTER AE", æ, is ae), or as
  OWN_SPELLINGS says for those whose name gives none (ß ss, þ th, ...);
- the combining marks those letters decompose into spell nothing (the empty spelling), so
  a name typed decomposed (NFD, as macOS may give it) derives the same names.

Only characters that lowercasing leaves as they are appear, since the name is lowered
first. Every other character (Cyrillic, Greek, CJK, punctuation, emoji) has no spelling:
the default treats it as a space between words.

The Unicode data is 3.2's (`unicodedata.ucd_3_2_0`), which every Python carries as it is,
so the table does not change with the interpreter that prints it.
"""

import re
import unicodedata

import yaml

UCD = unicodedata.ucd_3_2_0

# Letters whose decomposition and name give no spelling.
OWN_SPELLINGS = {"ß": "ss", "ð": "d", "þ": "th", "ı": "i", "ŋ": "ng", "ə": "e"}  # noqa: RUF001

# "LATIN SMALL LETTER O WITH STROKE" gives O, "LATIN CAPITAL LIGATURE OE" gives OE.
LATIN_LETTER_WITH = re.compile(
    r"LATIN (?:SMALL|CAPITAL) (?:LETTER|LIGATURE) ([A-Z]{1,2})(?: WITH .+)?"
)
ASCII_WORD = re.compile(r"[a-z0-9]+")


def base_spelling(char: str) -> str:
    """A character left by decomposition: its own spelling, its name's letters, or itself."""
    if char in OWN_SPELLINGS:
        return OWN_SPELLINGS[char]
    named = LATIN_LETTER_WITH.fullmatch(UCD.name(char, ""))
    return named[1].lower() if named else char


def marks_of(char: str) -> list[str]:
    return [part for part in UCD.normalize("NFKD", char) if UCD.combining(part)]


def spelling(char: str) -> str | None:
    """The ASCII spelling of a letter or digit, lowercase; None when it has none."""
    if not (UCD.category(char).startswith("L") or UCD.digit(char, None) is not None):
        return None
    decomposed = UCD.normalize("NFKD", char)
    spelled = "".join(base_spelling(part) for part in decomposed if not UCD.combining(part))
    spelled = spelled.lower()
    return spelled if ASCII_WORD.fullmatch(spelled) else None


def ascii_spellings() -> dict[str, str]:
    """Spelling -> the characters spelled so; "" -> the combining marks, spelled as nothing."""
    table: dict[str, str] = {}
    marks: set[str] = set()
    for code in range(0x80, 0x10000):
        char = chr(code)
        spelled = spelling(char)
        if spelled is None:
            continue
        marks.update(marks_of(char))
        if char.lower() == char:
            table[spelled] = table.get(spelled, "") + char
    table[""] = "".join(sorted(marks))
    return dict(sorted(table.items()))


def yaml_key(spelled: str) -> str:
    """The spelling as a YAML key: plain, unless YAML would read it as something else."""
    return spelled if spelled and yaml.safe_load(spelled) == spelled else f'"{spelled}"'


def escaped(chars: str) -> str:
    """Characters as a double-quoted YAML string of escapes, cut into lines."""
    codes = [f"\\u{ord(char):04x}" for char in chars]
    lines = ["".join(codes[start : start + 12]) for start in range(0, len(codes), 12)]
    return '"' + "\\\n      ".join(lines) + '"'


def main() -> None:
    for spelled, chars in ascii_spellings().items():
        # Combining marks are written as escapes: on their own they show on the quote.
        value = escaped(chars) if spelled == "" else chars
        print(f"    {yaml_key(spelled)}: {value}")


if __name__ == "__main__":
    main()
