"""Build the report's embedded Chinese font: WenQuanYi Micro Hei (Apache-2.0), a TrueType
(glyf) font reportlab can embed, subset to ASCII, punctuation, all of GB 2312 (6,763
characters: every common Chinese character) and every character of the Chinese catalogue.

    apt-get install fonts-wqy-microhei
    .venv/bin/python scripts/subset_report_font.py [/usr/share/fonts/truetype/wqy/wqy-microhei.ttc]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "yiyang/core/fonts/wqy-microhei-gb2312.ttf"


def gb2312() -> set[str]:
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def main() -> None:
    source = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    font = TTCollection(source).fonts[0]
    po = (ROOT / "yiyang/locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    chars = gb2312() | set(re.sub(r"\s", "", po)) | {chr(c) for c in range(0x20, 0x7F)}
    chars |= set("，。、；：？！“”‘’（）【】《》—…·％－＋０１２３４５６７８９")
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    font.save(str(OUT))
    print(OUT, OUT.stat().st_size)


if __name__ == "__main__":
    main()
