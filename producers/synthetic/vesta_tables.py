"""The layout of Vesta's V1..V339: which columns share a NaN block, what each one counts.

Columns of a block are missing on the same rows, as in the real file; `vesta.py` draws the
blocks from this layout.
"""

from __future__ import annotations


def _runs(spec: str) -> list[int]:
    """'1-3 7' -> [1, 2, 3, 7]."""
    out: list[int] = []
    for part in spec.split():
        first, _, last = part.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


# mask name -> V columns that share it. "d4", "d10", "d11", "d15" are the rows where that D
# column is present (the real V blocks have the same missing rates as those D columns).
V_MASKS: dict[str, list[int]] = {
    "d11": _runs("1-11"),
    "d10": _runs("12-34"),
    "d4": _runs("35-52"),
    "d10x": _runs("53-74"),
    "d15": _runs("75-94"),
    "nearly_all": _runs("95-137"),
    "id_half": _runs("138-166 322-339"),
    "id_most": _runs("167-216"),
    "id_a": _runs(
        "217-219 223-226 228-233 235-237 240-244 246-249 252-254 257-258 260-269 273-278"
    ),
    "id_b": _runs("220-222 227 234 238-239 245 250-251 255-256 259 270-272"),
    "all": _runs("279-280 284-287 290-295 297-299 302-312 316-321"),
    "all_but_few": _runs("281-283 288-289 296 300-301 313-315"),
}
# V1-V94 count matches (mostly 1); the rest count previous events (mostly 0).
V_ONES = set(_runs("1-94"))
V_AMOUNT = set(_runs("126-137 159-160 164-166 202-216 263-278 306-321 331-339"))
V_MAX = {
    **dict.fromkeys(_runs("1 14 41 65 88 107"), 1),
    **dict.fromkeys(_runs("12 35 10 27 28"), 3),
    **dict.fromkeys(_runs("305"), 2),
}
