"""Company names to one key: the region apart, the trade name and industry word kept.

How a name is read:

1. Unicode NFKC (full-width ``ＡＢＣ``, ``（`` become ``ABC``, ``(``), case folded; the
   brackets NFKC leaves alone (【】〔〕〖〗「」『』《》〈〉) count as brackets too.
2. A bracketed part that is a region (``（北京）``, ``(Beijing)``, ``（北京分公司）``) becomes
   the region; one that is a country (``（中国）``, ``(China)``) or only a legal form
   (``（集团）``, ``（有限合伙）``) is dropped; any other bracketed text stays in the name.
3. Punctuation and spaces go (a space between two Latin words is kept while reading, so
   ``Co., Ltd.`` stays a word of its own).
4. Legal forms and branch words are taken off the end, longest first and repeatedly
   (``集团有限公司``, ``有限公司``, ``Co.,Ltd``, ``Inc.``, ``分公司``…), Chinese ones even when
   attached with no space; a Latin one only as a whole word (``Costco`` keeps its ``co``).
5. A region right before a legal form or branch word (``星河科技北京有限公司``,
   ``星河科技有限公司北京分公司``) is taken off; with no region from a bracket it is the
   region. With no region yet, a region at the start (``北京星河科技``, ``Beijing Xinghe``)
   is the region: the longest spelling that leaves a name (``北京市星河`` is 星河 in 北京, but
   ``北京有限公司`` is just 北京). Only one region is taken from the start: ``北京上海星河`` is
   上海星河 in 北京.

The key is ``region/name`` (``北京/星河科技``), or just ``name`` when there is no region: a
name without a region matches only other names without one. The industry word stays in the
name, so 北京星河物流 is not 北京星河科技. Names that are placeholders (``个人``, ``无``,
``测试``) or nothing but legal forms give no key.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import ClassVar, Final

import attrs

from leadcore.dedup.keys import KeyKind
from leadcore.dedup.regions import DEFAULT_COUNTRY_WORDS, DEFAULT_REGIONS, Region
from leadcore.dedup.rules_base import (
    ExtendableRules,
    KeyedResult,
    check_texts,
    raise_problems,
    to_tuple,
)
from leadcore.dedup.text import clean_text, nfkc
from leadcore.errors import FieldProblem

__all__ = [
    "DEFAULT_BRANCH_SUFFIXES",
    "DEFAULT_LEGAL_SUFFIXES",
    "DEFAULT_PLACEHOLDERS",
    "CompanyNormaliser",
    "CompanyRules",
    "NormalisedCompany",
    "fold_name",
]

MAX_COMPANY_LENGTH: Final = 500
"""Longer input is not a company name."""

DEFAULT_LEGAL_SUFFIXES: Final = (
    "集团股份有限公司",
    "集团有限责任公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "总公司",
    "公司",
    "集团",
    "特殊普通合伙",
    "普通合伙",
    "有限合伙",
    "集團有限公司",
    "有限責任公司",
    "集團",
    "Co., Ltd.",
    "Company Limited",
    "Company Ltd",
    "Limited",
    "Ltd.",
    "Inc.",
    "Incorporated",
    "LLC",
    "LLP",
    "Corp.",
    "Corporation",
    "Co.",
    "Company",
    "GmbH",
    "AG",
    "PLC",
    "Pte. Ltd.",
    "Pty. Ltd.",
    "S.A.",
    "Group",
)
"""Legal-form words taken off the end of a name (Chinese, traditional, Latin)."""

DEFAULT_BRANCH_SUFFIXES: Final = (
    "分公司",
    "分店",
    "分厂",
    "分部",
    "分行",
    "办事处",
    "代表处",
    "营业部",
    "Branch Office",
    "Branch",
    "Representative Office",
)
"""Branch words, taken off like legal forms; a region right before one is the region."""

DEFAULT_PLACEHOLDERS: Final = (
    "无",
    "暂无",
    "没有",
    "个人",
    "个体",
    "个体户",
    "自由职业",
    "未知",
    "不详",
    "待定",
    "待补充",
    "其他",
    "其它",
    "测试",
    "test",
    "none",
    "null",
    "N/A",
    "unknown",
)
"""Values that mean "no company": they give no key (so they never link leads)."""

_LATIN = "0-9a-z\u00c0-\u024f\u0370-\u04ff"
_NON_WORD = re.compile(r"[\W_]+")
_LONE_SPACE = re.compile(rf"(?<![{_LATIN}]) | (?![{_LATIN}])")
_BRACKETS: Final = str.maketrans("[{【〔〖「『《〈<⦅｟", "((((((((((((", "") | str.maketrans(
    "]}】〕〗」』》〉>⦆｠", "))))))))))))"
)
_BRACKET_GROUP = re.compile(r"\(([^()]*)\)")


def _is_latin(char: str) -> bool:
    return (char.isascii() and char.isalnum()) or "\u00c0" <= char <= "\u04ff"


def fold_name(text: str) -> str:
    """A name folded for comparison: NFKC, case folded, punctuation and spaces removed except
    one space between two Latin words (``"Xinghe Co.,Ltd"`` → ``"xinghe co ltd"``)."""
    text = nfkc(text)
    text = text.lower() if text.isascii() else text.casefold()
    return _spaced(text)


def _spaced(text: str) -> str:
    if text.isalnum():
        return text
    return _LONE_SPACE.sub("", _NON_WORD.sub(" ", text))


@attrs.frozen(slots=True)
class CompanyRules(ExtendableRules):
    """The lists company names are read with (see the module docstring for the steps).

    ``legal_suffixes`` and ``branch_suffixes`` are taken off the end; ``regions`` are the
    regions a name can carry; ``country_words`` in brackets are dropped; ``placeholders``
    mean "no company". Extend any list with :meth:`extended`.
    """

    legal_suffixes: tuple[str, ...] = attrs.field(
        default=DEFAULT_LEGAL_SUFFIXES, converter=to_tuple
    )
    branch_suffixes: tuple[str, ...] = attrs.field(
        default=DEFAULT_BRANCH_SUFFIXES, converter=to_tuple
    )
    regions: tuple[Region, ...] = attrs.field(default=DEFAULT_REGIONS, converter=to_tuple)
    country_words: tuple[str, ...] = attrs.field(default=DEFAULT_COUNTRY_WORDS, converter=to_tuple)
    placeholders: tuple[str, ...] = attrs.field(default=DEFAULT_PLACEHOLDERS, converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        for field in ("legal_suffixes", "branch_suffixes", "country_words", "placeholders"):
            values: tuple[object, ...] = getattr(self, field)
            check_texts(problems, field, values)
            for i, value in enumerate(values):
                if isinstance(value, str) and value.strip() and not fold_name(value):
                    problems.append(
                        FieldProblem(f"{field}[{i}]", f"{value!r} has no letters or digits")
                    )
        owners: dict[str, str] = {}
        for i, region in enumerate(self.regions):
            if not isinstance(region, Region):
                problems.append(FieldProblem(f"regions[{i}]", "must be a Region"))
                continue
            for j, spelling in enumerate(region.spellings):
                path = f"regions[{i}].name" if j == 0 else f"regions[{i}].aliases[{j - 1}]"
                folded = fold_name(spelling)
                if not folded:
                    problems.append(FieldProblem(path, f"{spelling!r} has no letters or digits"))
                elif owners.get(folded, region.name) != region.name:
                    problems.append(
                        FieldProblem(
                            path, f"{spelling!r} is already a spelling of region {owners[folded]!r}"
                        )
                    )
                owners.setdefault(folded, region.name)
        raise_problems(problems)


@attrs.frozen(slots=True)
class NormalisedCompany(KeyedResult):
    """A company name read: its ``region`` (``北京``, or ``None``) and ``name`` (trade name and
    industry word, ``星河科技``) when it gives a key, otherwise the ``reason`` it does not
    (``"is empty"`` when there was nothing to read)."""

    key_kind: ClassVar[KeyKind] = KeyKind.COMPANY
    region: str | None
    name: str | None
    reason: str = ""

    @property
    def text(self) -> str | None:
        """The key value: ``region/name``, or ``name`` without a region."""
        if self.name is None:
            return None
        return self.name if self.region is None else f"{self.region}/{self.name}"

    @property
    def key_value(self) -> str | None:
        """See :attr:`text`."""
        return self.text


_Read = tuple[str | None, str | None, str | None, str]
"""``(region, name, key value, reason)``."""


class _Table:
    """Folded spellings by their edge character, then by length (longest first), each with
    whether it needs a word boundary (it is Latin where it meets the rest) and what it stands
    for."""

    __slots__ = ("by_edge",)

    def __init__(self, entries: Iterable[tuple[str, str]], *, at_end: bool) -> None:
        buckets: dict[str, dict[int, dict[str, tuple[bool, str]]]] = defaultdict(dict)
        for folded, meaning in entries:
            edge = folded[-1] if at_end else folded[0]
            latin = _is_latin(folded[0] if at_end else folded[-1])
            buckets[edge].setdefault(len(folded), {}).setdefault(folded, (latin, meaning))
        self.by_edge: Mapping[str, tuple[tuple[int, Mapping[str, tuple[bool, str]]], ...]] = {
            edge: tuple(sorted(by_length.items(), reverse=True))
            for edge, by_length in buckets.items()
        }

    def at_end(self, text: str, longest: int | None = None) -> tuple[int, str] | None:
        """The longest entry ending ``text`` (at a word boundary if it needs one), no longer
        than ``longest``: its length and meaning."""
        candidates = self.by_edge.get(text[-1]) if text else None
        if candidates is None:
            return None
        for length, entries in candidates:
            if longest is not None and length > longest:
                continue
            found = entries.get(text[-length:])
            if found is not None:
                start = len(text) - length
                if found[0] and start > 0 and _is_latin(text[start - 1]):
                    continue
                return length, found[1]
        return None

    def at_start(self, text: str, longest: int | None = None) -> tuple[int, str] | None:
        """The longest entry starting ``text`` (at a word boundary if it needs one), no longer
        than ``longest``."""
        candidates = self.by_edge.get(text[0]) if text else None
        if candidates is None:
            return None
        for length, entries in candidates:
            if longest is not None and length > longest:
                continue
            found = entries.get(text[:length])
            if found is not None:
                if found[0] and length < len(text) and _is_latin(text[length]):
                    continue
                return length, found[1]
        return None


class CompanyNormaliser:
    """Reads company names with one :class:`CompanyRules`.

    ``cache_size`` bounds the cache of names already read (0: no cache); the same company is
    typed by many leads.
    """

    __slots__ = (
        "_countries",
        "_exact_regions",
        "_extends",
        "_leading",
        "_placeholders",
        "_read",
        "_suffixes",
        "_trailing",
        "rules",
    )

    def __init__(self, rules: CompanyRules | None = None, *, cache_size: int = 8192) -> None:
        self.rules = rules or CompanyRules()
        suffixes = [(fold_name(s), "") for s in self.rules.legal_suffixes]
        suffixes += [(fold_name(s), "") for s in self.rules.branch_suffixes]
        self._suffixes = _Table(suffixes, at_end=True)
        spellings = [(fold_name(s), r.name) for r in self.rules.regions for s in r.spellings]
        self._exact_regions: Mapping[str, str] = dict(spellings)
        self._leading = _Table(spellings, at_end=False)
        self._trailing = _Table(spellings, at_end=True)
        self._countries = frozenset(fold_name(w) for w in self.rules.country_words)
        # For each region, the first characters of whatever lengthens its name into another
        # spelling (北京 → 北京市: "市").
        extends: dict[str, set[str]] = defaultdict(set)
        for region in self.rules.regions:
            base = fold_name(region.name)
            for folded, _ in spellings:
                if len(folded) > len(base) and folded.startswith(base):
                    extends[region.name].add(folded[len(base) :].lstrip()[:1])
        self._extends: Mapping[str, str] = {r: "".join(sorted(c)) for r, c in extends.items()}
        self._placeholders: frozenset[str] = frozenset()
        self._placeholders = frozenset(
            name for p in self.rules.placeholders if (name := self._read_text(p)[1]) is not None
        )
        self._read: Callable[[str], _Read] = (
            lru_cache(maxsize=cache_size)(self._read_text) if cache_size else self._read_text
        )

    # --- public ---------------------------------------------------------------------------------
    def normalise(self, value: object) -> NormalisedCompany:
        """Read one company name; never raises."""
        text, reason = clean_text(value, max_length=MAX_COMPANY_LENGTH)
        if text is None:
            return NormalisedCompany(None, None, reason)
        region, name, _, reason = self._read(text)
        return NormalisedCompany(region, name, reason)

    def key_value(self, value: object) -> str | None:
        """Just the key value of ``value`` (``北京/星河科技``), or ``None``."""
        text, _ = clean_text(value, max_length=MAX_COMPANY_LENGTH)
        return None if text is None else self._read(text)[2]

    # --- the work -------------------------------------------------------------------------------
    def _read_text(self, text: str) -> _Read:
        region, name = self._region_and_name(text)
        # Re-read the key text while the name could lengthen the region's spelling (河北 +
        # 省北京 reads back as 河北省 + 北京): the key must read back as itself.
        for _ in range(4):
            if region is None or not name or name[0] not in self._extends.get(region, ""):
                break
            again = self._region_and_name(f"{region}/{name}")
            if again == (region, name):
                break
            region, name = again
        if not name:
            return None, None, None, "has no name left once legal forms and the region are off"
        if name in self._placeholders:
            return None, None, None, "is a placeholder, not a company name"
        return region, name, name if region is None else f"{region}/{name}", ""

    def _region_and_name(self, text: str) -> tuple[str | None, str]:
        folded = nfkc(text)
        folded = folded.lower() if folded.isascii() else folded.casefold()
        region: str | None = None
        if not folded.isalnum():
            if "(" in folded or not folded.isascii():
                folded = folded.translate(_BRACKETS)
                if "(" in folded:
                    region, folded = self._brackets(folded)
            folded = _spaced(folded)
        region, name = self._strip(folded, region)
        if " " in name:  # read once more with the Latin words joined: "xing he" is "xinghe"
            region, name = self._strip(name.replace(" ", ""), region)
        return region, name

    def _brackets(self, text: str) -> tuple[str | None, str]:
        """Take region, country and legal-form brackets out of ``text``."""
        found: list[str] = []

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            folded = self._strip_suffixes(_spaced(inner))
            if not folded or folded in self._countries:
                return " "
            region = self._exact_regions.get(folded)
            if region is not None:
                found.append(region)
                return " "
            return f" {inner} "

        for _ in range(3):  # innermost brackets first; three levels are plenty
            text = _BRACKET_GROUP.sub(replace, text)
            if "(" not in text:
                break
        return (found[0] if found else None), text

    def _suffix(self, text: str) -> int:
        """The length of the longest legal form or branch word ending ``text`` (0: none)."""
        found = self._suffixes.at_end(text)
        return 0 if found is None else found[0]

    def _strip_suffixes(self, text: str) -> str:
        while cut := self._suffix(text):
            text = text[:-cut].rstrip()
        return text

    def _strip(self, text: str, region: str | None) -> tuple[str | None, str]:
        """Take legal forms off the end, then find the region (steps 4 and 5)."""
        just_cut = False
        while text:
            suffix = self._suffixes.at_end(text)
            if suffix is not None:
                text = text[: -suffix[0]].rstrip()
                just_cut = True
                continue
            # A region before a legal form is taken off even when a bracket gave the region
            # already (the first one found stays): the name must not end in one. The longest
            # spelling that leaves a name counts.
            longest = len(text) - 1
            while (found := self._trailing.at_end(text, longest)) is not None:
                rest = text[: -found[0]].rstrip()
                if just_cut or self._suffix(rest):
                    region, text, just_cut = region or found[1], rest, False
                    break
                longest = found[0] - 1
            else:
                break
        if region is None and text:
            # The longest spelling that leaves a name: 河北省省 is 省 in 河北, and so is 河北省.
            found = self._leading.at_start(text, len(text) - 1)
            if found is not None:
                region, text = found[1], text[found[0] :].lstrip()
        return region, text
