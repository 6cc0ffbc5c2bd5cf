"""Chinese, Japanese and Korean characters: compared one by one in diffs, signed as character
n-grams in clusters, and drawn with a CJK font in charts.

The term index's SQL (migration 003) names the same scripts as `\\p{Han}\\p{Hiragana}\\p{Katakana}\\p{Hangul}`.
"""

import re

# Hiragana and Katakana, CJK Extension A, CJK Unified Ideographs, Compatibility Ideographs, Hangul syllables.
CJK_RANGES = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
CJK_CHAR = re.compile(f"[{CJK_RANGES}]")
