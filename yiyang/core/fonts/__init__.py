"""Fonts the platform draws with (PDF reports, map images): a GB 2312 subset of WenQuanYi
Micro Hei (Apache 2.0 / GPL with font exception), so Chinese prints on machines with no
CJK font installed."""

from pathlib import Path

CJK_FONT_FILE = Path(__file__).resolve().parent / "wqy-microhei-gb2312.ttf"
