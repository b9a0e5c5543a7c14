"""The site's search index: words to documents, split into shards that the
search page loads as scripts, so that search works offline and from
``file://`` (where a page may not fetch files) and loads only the shards a
query needs.

The tokenizer here and the one in ``static/search.js`` must agree: NFKC,
lower case, runs of letters and digits; a run of CJK characters gives each
character and each pair of neighbours (so that a word of any length is
found without a dictionary), other runs give themselves when they are at
least two characters long.

A token's shard is that of its first three characters (`shard_key`), so
that a query word of three characters or more finds every token it begins
("diffus": diffusion, diffuser) in one shard. The documents' titles, days,
sources and the start of their text, for results and their snippets, are
in blocks of `BLOCK_SIZE` documents (``search/d<N>.js``), loaded for the
results shown, with each document's URL (a word may be found there).
"""

from __future__ import annotations

import contextlib
import gc
import json
import operator
import re
import unicodedata
from array import array
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from html import unescape
from itertools import accumulate, chain, repeat
from typing import Any, NamedTuple

# Han (with extensions and compatibility ideographs), kana, Hangul syllables.
_CJK_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
)
#: The CJK characters as a regular expression's class (its inside).
CJK_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES)
# Enough for the tokens of a query to be found: tags and comments removed,
# invisible elements dropped, entities decoded.
_INVISIBLE = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
#: Shard files aim at about this many bytes.
SHARD_TARGET = 48_000
#: At most this many shards: a power of two, as every number of shards is.
MAX_SHARDS = 4096
#: Documents per block of the listing, and how much of each one's text a
#: block holds for snippets: a page of results loads at most a block per
#: result, about 5 KB each (4,539 documents: 110 KB for a page of twenty).
BLOCK_SIZE = 2
SNIPPET_SOURCE = 640
#: A document's text longer than `SNIPPET_SOURCE` is also in files of this
#: many characters each (``search/t/<page>.js``, ``search/t/<page>-1.js``
#: ...), loaded one after another for a result whose words are not in the
#: start of its text until its words are found; each holds the start of
#: the next too (`TEXT_OVERLAP`), so that no word is cut in two.
TEXT_PART = 20_000
TEXT_OVERLAP = 200


def text_parts(text: str) -> list[str]:
    """The parts of a document's text that its text files hold (none when
    the listing holds it whole)."""
    if len(text) <= SNIPPET_SOURCE:
        return []
    return [
        text[start : start + TEXT_PART + TEXT_OVERLAP] for start in range(0, len(text), TEXT_PART)
    ]


def tokens(text: str) -> list[str]:
    """The search tokens of ``text``, in order, repeats included.

    >>> tokens("GPT-4o 大模型 a")
    ['gpt', '4o', '大', '模', '型', '大模', '模型']
    """
    found: list[str] = []
    add, extend = found.append, found.extend
    # A word's runs of CJK characters and the runs between them, found in
    # one pass over the text rather than word by word.
    for cjk, other in _pieces().findall(nfkc(text).lower()):
        if other:
            if len(other) >= 2:
                add(other)
        else:
            extend(cjk)
            extend(map(operator.add, cjk, cjk[1:]))
    return found


#: The full-width forms of ASCII and the ideographic space (what keeps most
#: Chinese text from being NFKC already: its punctuation), each mapped to
#: its NFKC form.
_HALF_WIDTH = {
    character: unicodedata.normalize("NFKC", character)
    for character in map(chr, [*range(0xFF01, 0xFF5F), 0x3000])
}
_FULL_WIDTH = re.compile(f"[{''.join(_HALF_WIDTH)}]")


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, three times faster on
    Chinese text: its full-width punctuation, replaced by what NFKC makes
    of it first, leaves most texts normalized already, which NFKC checks
    quickly (a character replaced by its NFKC form leaves the text's NFKC
    as it was)."""
    return unicodedata.normalize("NFKC", _FULL_WIDTH.sub(_half_width, text))


def _half_width(found: re.Match[str]) -> str:
    return _HALF_WIDTH[found[0]]


@lru_cache(maxsize=1)
def _pieces() -> re.Pattern[str]:
    """Runs of CJK word characters, and runs of the other word characters
    but ``_``. A few characters of the CJK blocks are not word characters
    (the katakana middle dot, unassigned ones): they end a word and are
    no token, so the class holds only the CJK word characters."""
    word = re.compile(r"[^\W_]")
    spans: list[tuple[int, int]] = []
    for low, high in _CJK_RANGES:
        for point in range(low, high + 1):
            if word.match(chr(point)):
                if spans and spans[-1][1] == point - 1:
                    spans[-1] = (spans[-1][0], point)
                else:
                    spans.append((point, point))
    cjk = "".join(f"{chr(low)}-{chr(high)}" if high > low else chr(low) for low, high in spans)
    return re.compile(f"([{cjk}]+)|([^\\W_{cjk}]+)")


def plain_text(fragment: str) -> str:
    """The words of an HTML or plain-text fragment, for indexing."""
    if "<" not in fragment and "&" not in fragment:
        return fragment
    return unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", fragment)))


def shard_key(token: str) -> str:
    """What decides a token's shard: its first three characters."""
    return token[:3]


def shard_of(token: str, shards: int) -> int:
    """32-bit FNV-1a of the UTF-8 of the token's `shard_key`, modulo the
    number of shards."""
    return fnv_hash(shard_key(token)) % shards


def fnv_hash(token: str) -> int:
    """32-bit FNV-1a of the token's UTF-8."""
    value = 0x811C9DC5
    for byte in token.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


Postings = tuple[Mapping[str, Sequence[int]], Mapping[str, Sequence[int]]]
#: Postings being changed: lists, which sort in place.
_ListPostings = tuple[dict[str, list[int]], dict[str, list[int]]]
Tables = list[dict[str, list[list[int]]]]


def build_index(
    documents: Iterable[tuple[Iterable[str], Iterable[str]]],
) -> tuple[int, Tables]:
    """The shards of the index of ``documents``, each given as its distinct
    (title tokens, body tokens), numbered in the order the search page
    lists them.

    Each token maps to two lists of document numbers, ascending and
    delta-encoded (``[d0, d1-d0, …]``): the documents that hold it anywhere,
    and those that hold it in the title.
    """
    with _collector_paused():
        postings = PostingsBuilder()
        for title, body in documents:
            postings.add(title, body)
        shards, entries = postings.shards()
        return shards, _encoded_tables(entries, {})


def update_index(
    old_tables: Tables,
    new_of_old: Sequence[int],
    documents: Sequence[tuple[int, tuple[Iterable[str], Iterable[str]]]],
) -> tuple[int, Tables]:
    """`build_index` of a collection from the index of its last version:
    ``new_of_old`` gives each old document's new number (-1 when it is gone
    or changed), in the same order as the old numbers; ``documents`` are
    the new and changed ones, each with its number and tokens. The result
    is what `build_index` of the whole collection gives.
    """
    with _collector_paused():
        postings, same = _renumbered(old_tables, new_of_old)
        anywhere, in_title = postings
        touched: set[str] = set()
        for number, (title, body) in documents:
            title_tokens = tuple(title)
            held = dict.fromkeys((*body, *title_tokens))
            for token in held:
                anywhere.setdefault(token, []).append(number)
            for token in title_tokens:
                in_title.setdefault(token, []).append(number)
            touched.update(held)
        for token in touched:
            # New numbers fall anywhere among the old ones.
            anywhere[token].sort()
            if token in in_title:
                in_title[token].sort()
            same.pop(token, None)
        return shard_tables(postings, same)


def _renumbered(
    old_tables: Tables, new_of_old: Sequence[int]
) -> tuple[_ListPostings, dict[str, list[list[int]]]]:
    """The postings of ``old_tables`` with every number mapped, the gone
    ones (-1) dropped, and the old entries whose numbers stayed the same
    (their encoding is reused). The mapping must keep the order of the
    numbers it keeps, so that the lists stay ascending."""
    kept = [number for number in new_of_old if number >= 0]
    if any(map(operator.ge, kept, kept[1:])):
        raise ValueError("the new numbers are not in the old order")
    lookup = list(new_of_old).__getitem__
    gone = len(kept) < len(new_of_old)
    anywhere: dict[str, list[int]] = {}
    in_title: dict[str, list[int]] = {}
    same: dict[str, list[list[int]]] = {}
    for table in old_tables:
        for token, entry in table.items():
            all_deltas, title_deltas = entry
            _check_deltas(all_deltas, len(new_of_old))
            _check_deltas(title_deltas, len(new_of_old))
            old_numbers = list(accumulate(all_deltas))
            old_titles = list(accumulate(title_deltas))
            numbers = list(map(lookup, old_numbers))
            titles = list(map(lookup, old_titles))
            if gone:
                numbers = list(filter(_NOT_GONE, numbers))
                titles = list(filter(_NOT_GONE, titles))
            if numbers:
                anywhere[token] = numbers
                in_title[token] = titles
                if numbers == old_numbers and titles == old_titles:
                    same[token] = entry
    return (anywhere, in_title), same


_NOT_GONE = (-1).__ne__


def _check_deltas(deltas: list[int], count: int) -> None:
    # A file changed by hand must not renumber silently (a negative number
    # would index from the end).
    if deltas and (min(deltas) < 0 or sum(deltas) >= count):
        raise ValueError("a posting list out of range")


#: The type code of an array of document numbers. The numbers of a token
#: are kept in an array, not a list: arrays hold no references, so the cycle
#: collector never walks the millions of numbers of an index (as it walked
#: lists, again and again, as they grew: most of the index's time).
_NUMBERS = "i"


def _numbers() -> array[int]:
    return array(_NUMBERS)


class _TokenPostings(dict[str, "array[int]"]):
    """Each token's document numbers; a token seen for the first time is
    put in its bucket then. The dictionary's own miss is how a new token is
    found: checking every token against the buckets first cost as much
    again as the postings themselves."""

    def __init__(self) -> None:
        super().__init__()
        #: The tokens by their hash modulo `MAX_SHARDS`: those of a shard
        #: are those of its buckets, however many shards there are (a power
        #: of two that divides `MAX_SHARDS`), found without a pass over
        #: every token once the postings are in.
        self.buckets: list[list[str]] = [[] for _ in range(MAX_SHARDS)]

    def __missing__(self, token: str) -> array[int]:
        self.buckets[fnv_hash(shard_key(token)) % MAX_SHARDS].append(token)
        numbers = _numbers()
        self[token] = numbers
        return numbers


class PostingsBuilder:
    """The postings of documents given one at a time, in their order: a
    build adds each document as it hands its page to a worker. Each new
    token's hash is taken as it comes, not all at the end, when the
    workers would wait for them."""

    def __init__(self) -> None:
        self.anywhere = _TokenPostings()
        self.in_title: defaultdict[str, array[int]] = defaultdict(_numbers)
        self.count = 0

    def add(self, title: Iterable[str], body: Iterable[str]) -> None:
        """The next document's distinct title and body tokens."""
        number, anywhere = self.count, self.anywhere
        self.count += 1
        title = tuple(title)
        # Millions of postings: appended by map() at C speed, not by a loop.
        _consume(map(array.append, map(anywhere.__getitem__, body), repeat(number)))
        _consume(map(array.append, map(self.in_title.__getitem__, title), repeat(number)))
        for token in title:
            held = anywhere[token]
            if not held or held[-1] != number:
                held.append(number)

    def shards(self) -> tuple[int, Iterator[ShardEntries]]:
        """The number of shards, and each one's entries (those of
        `shard_entries`), made as they are asked for: a build hands out
        each shard as it is made, rather than keeping its workers waiting
        while every token is sorted and placed."""
        anywhere, in_title, buckets = self.anywhere, self.in_title, self.anywhere.buckets
        shards = shard_count(anywhere)
        no_titles: Sequence[int] = ()

        def entries(shard: int) -> ShardEntries:
            tokens = sorted(chain.from_iterable(buckets[shard::shards]))
            return [(token, anywhere[token], in_title.get(token, no_titles)) for token in tokens]

        return shards, map(entries, range(shards))


#: A shard's tokens in order, each with its documents and those that hold
#: it in the title, not yet delta-encoded.
ShardEntries = list[tuple[str, Sequence[int], Sequence[int]]]


def shard_count(anywhere: Mapping[str, Sequence[int]]) -> int:
    """How many shards the postings of ``anywhere`` fill: a power of two
    that divides `MAX_SHARDS`."""
    # Of each token: its length, 3 per document number, 8 more.
    size = sum(map(len, anywhere)) + 3 * sum(map(len, anywhere.values())) + 8 * len(anywhere)
    shards = 1
    while shards < MAX_SHARDS and size / shards > SHARD_TARGET:
        shards *= 2
    return shards


def shard_entries(postings: Postings) -> tuple[int, list[ShardEntries]]:
    """The number of shards the postings fill, and each shard's entries."""
    anywhere, in_title = postings
    shards = shard_count(anywhere)
    entries: list[ShardEntries] = [[] for _ in range(shards)]
    no_titles: Sequence[int] = ()
    with _collector_paused():
        for token in sorted(anywhere):
            entry = (token, anywhere[token], in_title.get(token, no_titles))
            entries[shard_of(token, shards)].append(entry)
    return shards, entries


class PackedShard(NamedTuple):
    """A shard's entries in a few flat arrays, to send to another process:
    pickled as they are, where an array per token would be pickled one by
    one, at more than the cost of encoding them."""

    #: The tokens, in order, each followed by a newline (no token holds one).
    tokens: str
    #: How many documents each token has, and all their numbers in a row.
    counts: array[int]
    numbers: array[int]
    #: The same for the documents that have it in the title.
    title_counts: array[int]
    titles: array[int]


def packed_shard(entries: ShardEntries) -> PackedShard:
    """A shard's entries, packed."""
    counts, numbers, title_counts, titles = _numbers(), _numbers(), _numbers(), _numbers()
    for _, held, in_titles in entries:
        counts.append(len(held))
        numbers.extend(held)
        title_counts.append(len(in_titles))
        titles.extend(in_titles)
    tokens = "".join(f"{token}\n" for token, _, _ in entries)
    return PackedShard(tokens, counts, numbers, title_counts, titles)


def encoded_shard(packed: PackedShard) -> dict[str, list[list[int]]]:
    """A packed shard's table: each token's lists delta-encoded."""
    numbers, titles = packed.numbers.tolist(), packed.titles.tolist()
    table = {}
    at = title_at = 0
    with _collector_paused():
        for token, count, title_count in zip(
            packed.tokens.split("\n")[:-1], packed.counts, packed.title_counts, strict=True
        ):
            table[token] = [
                _deltas(numbers[at : at + count]),
                _deltas(titles[title_at : title_at + title_count]),
            ]
            at += count
            title_at += title_count
    return table


def shard_tables(
    postings: Postings, encoded: dict[str, list[list[int]]] | None = None
) -> tuple[int, Tables]:
    """The postings split into shards, each list delta-encoded (or taken
    from ``encoded``, entries known to encode the same lists)."""
    shards, all_entries = shard_entries(postings)
    return shards, _encoded_tables(all_entries, encoded or {})


def _encoded_tables(
    all_entries: Iterable[ShardEntries], encoded: dict[str, list[list[int]]]
) -> Tables:
    tables: Tables = []
    for entries in all_entries:
        table = {}
        for token, numbers, titles in entries:
            entry = encoded.get(token)
            table[token] = entry if entry is not None else [_deltas(numbers), _deltas(titles)]
        tables.append(table)
    return tables


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    # Hundreds of thousands of lists that hold no reference cycles: the
    # cycle collector, set off again and again while they are built, only
    # doubles the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _deltas(numbers: Sequence[int]) -> list[int]:
    if len(numbers) < 2:  # most tokens: a shortcut worth a tenth of the index's time
        return list(numbers)
    return list(map(operator.sub, numbers, chain((0,), numbers)))


def _consume(iterator: Iterator[object]) -> None:
    deque(iterator, maxlen=0)


def script(call: str, *arguments: object) -> str:
    """A script file that hands ``arguments`` (as JSON) to the search page."""
    payload = ",".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in arguments)
    return f"clipdocSearch.{call}({payload});\n"


def read_script(text: str, call: str) -> list[Any]:
    """The arguments `script` wrote into a script file; a ValueError when
    ``text`` is not such a file."""
    prefix, suffix = f"clipdocSearch.{call}(", ");\n"
    if not text.startswith(prefix) or not text.endswith(suffix):
        raise ValueError(f"not a clipdocSearch.{call} script")
    arguments: list[Any] = json.loads(f"[{text[len(prefix) : -len(suffix)]}]")
    return arguments


def read_header(text: str) -> tuple[int, int]:
    """The shard count and the number of documents of a ``docs.js`` file; a
    ValueError when it is not one `script` wrote with this block size."""
    arguments = read_script(text, "docs")
    if (
        len(arguments) != 3
        or not all(type(argument) is int and argument >= 0 for argument in arguments)
        or arguments[2] != BLOCK_SIZE
    ):
        raise ValueError("not a search index header")
    return arguments[0], arguments[1]


def read_block(text: str, number: int) -> list[str]:
    """The pages of block ``number`` of the listing; a ValueError when
    ``text`` is not that block."""
    arguments = read_script(text, "block")
    if len(arguments) != 2 or arguments[0] != number or not isinstance(arguments[1], list):
        raise ValueError(f"not block {number}")
    entries = arguments[1]
    if not all(
        isinstance(entry, list) and entry and isinstance(entry[0], str) for entry in entries
    ):
        raise ValueError(f"not block {number}")
    return [entry[0] for entry in entries]


def read_shard(text: str, number: int) -> dict[str, list[list[int]]]:
    """The table of shard ``number`` from its script file; a ValueError when
    it is not that shard's file, or a posting list is not two lists of
    numbers."""
    arguments = read_script(text, "shard")
    if len(arguments) != 2 or arguments[0] != number or not isinstance(arguments[1], dict):
        raise ValueError(f"not shard {number}")
    table: dict[str, list[list[int]]] = arguments[1]
    for entry in table.values():
        if not (
            isinstance(entry, list)
            and len(entry) == 2
            and all(isinstance(deltas, list) for deltas in entry)
            and all(type(delta) is int for deltas in entry for delta in deltas)
        ):
            raise ValueError(f"shard {number} holds a posting list of the wrong shape")
    return table
