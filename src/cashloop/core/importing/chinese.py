"""Telling Simplified (GBK, GB18030) from Traditional (Big5) Chinese bytes without being told.

The two families overlap: most Big5 bytes are valid GB18030 and many GBK bytes are valid Big5,
so "it decodes" decides little. What decides is which decoding gives plausible Chinese text:

1. header cells that name a known column (`客户编号`, `發票號碼`) in the first lines, then
2. the share of the text's Chinese characters that are common in the decoded script: the level-1
   (常用字) sets of the standards themselves, GB 2312 level 1 (3,755 hanzi, B0A1–D7F9) for
   Simplified and Big5 level 1 (5,401 hanzi, A440–C67E) for Traditional. A wrong decoding
   scatters text over rare characters and private-use code points (about half of them), a right
   one stays almost wholly among common ones.

A tie (short text common in both readings, e.g. four characters of a header) goes to GBK, as
mainland exports are the most frequent. Pure: standard library only.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from functools import cache

# Encodings tried per family, in order; the first that decodes the sample stands for the family.
FAMILIES: tuple[tuple[str, ...], ...] = (("gbk", "gb18030"), ("big5", "cp950", "big5hkscs"))
SAMPLE_BYTES = 256 * 1024  # enough text to judge; the whole file is decoded only once chosen
_NEUTRAL = re.compile(r"[\u3000-\u303f\uff00-\uffef]")  # CJK punctuation, full-width forms
_CELL = re.compile(r"[,;\t|\r\n]+")


@cache
def common_simplified() -> frozenset[str]:
    """GB 2312 level-1 hanzi (常用字), decoded from the standard's own code points."""
    return _decoded("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))


@cache
def common_traditional() -> frozenset[str]:
    """Big5 level-1 hanzi (常用國字), A440–C67E."""
    chars = _decoded("big5", range(0xA4, 0xC6), itertools.chain(range(0x40, 0x7F),
                                                                range(0xA1, 0xFF)))
    return chars | _decoded("big5", range(0xC6, 0xC7), range(0x40, 0x7F))


def _decoded(codec: str, leads: Iterable[int], trails: Iterable[int]) -> frozenset[str]:
    trails = tuple(trails)
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                out.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                continue
    return frozenset(out)


def common_share(text: str, common: frozenset[str]) -> float:
    """Share of the first non-ASCII, non-punctuation characters that are in `common` (1.0: none)."""
    sample = list(itertools.islice((c for c in text if ord(c) > 127 and not _NEUTRAL.match(c)),
                                   20000))
    if not sample:
        return 1.0
    return sum(1 for c in sample if c in common) / len(sample)


def header_hits(text: str, header_names: frozenset[str]) -> int:
    """How many cells of the first lines name a known column (names normalized)."""
    if not header_names:
        return 0
    from cashloop.core.importing.columns import normalize

    cells = _CELL.split("\n".join(text.splitlines()[:15]))
    return sum(1 for cell in cells if cell.strip() and normalize(cell.strip('"')) in header_names)


def sample_of(data: bytes) -> bytes:
    """The first SAMPLE_BYTES cut after a line end (a line feed is never a trail byte)."""
    if len(data) <= SAMPLE_BYTES:
        return data
    cut = data.rfind(b"\n", 0, SAMPLE_BYTES)
    return data[:cut + 1] if cut > 0 else data[:SAMPLE_BYTES]


def ranked_encodings(data: bytes, header_names: frozenset[str] = frozenset(),
                     reads_as_chinese: Callable[[str], bool] | None = None) -> list[str]:
    """Chinese encodings to try on `data`, the most plausible reading of its start first.

    Per family, the first encoding that decodes the start stands for it, followed by the
    family's wider ones (GB18030 after GBK), in case a later byte needs them. A family whose
    reading is not Chinese text at all (`reads_as_chinese`) is left out.
    """
    sample = sample_of(data)
    scored: list[tuple[int, float, int, list[str]]] = []
    for rank, family in enumerate(FAMILIES):
        for at, name in enumerate(family):
            try:
                text = sample.decode(name)
            except UnicodeDecodeError:
                continue
            if reads_as_chinese is not None and not reads_as_chinese(text):
                break
            common = common_simplified() if rank == 0 else common_traditional()
            scored.append((header_hits(text, header_names), common_share(text, common), -rank,
                           list(family[at:])))
            break
    # Most header hits, then the highest share; on a tie the earlier family (GBK) wins (-rank).
    scored.sort(key=lambda item: item[:3], reverse=True)
    return [name for *_key, names in scored for name in names]
