"""Empty the fuzzy entries of .po files: msgmerge's guesses, never a reviewed translation.

``make messages`` runs it after ``makemessages``, whose msgmerge matches a new string to an old
translation and marks it fuzzy; such a guess only misleads the next translator.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def clear_fuzzy(text: str) -> str:
    """The .po text with every fuzzy entry's msgstr emptied, its flag and previous msgid gone."""
    entries = text.split("\n\n")
    for index, entry in enumerate(entries):
        flags = re.search(r"^#,(.*)$", entry, re.MULTILINE)
        if index == 0 or flags is None or "fuzzy" not in flags[1]:
            continue
        kept = [flag.strip() for flag in flags[1].split(",") if flag.strip() != "fuzzy"]
        entry = entry.replace(flags[0], f"#, {', '.join(kept)}" if kept else "", 1)
        entry = re.sub(r"^#\|.*\n", "", entry, flags=re.MULTILINE)
        entry = re.sub(r'^(msgstr(?:\[\d+\])?) ".*"(?:\n".*")*$', r'\1 ""', entry, flags=re.M)
        entries[index] = re.sub(r"\n{2,}", "\n", entry).strip("\n")
    return "\n\n".join(entries)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(clear_fuzzy(path.read_text(encoding="utf-8")), encoding="utf-8")
