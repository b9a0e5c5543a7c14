"""Synthetic clipping documents shaped like the real corpus.

Measured on the 380 shared documents: 47% carry a one-line HTML original
summary (Weibo posts, ~2,400 characters on average, up to ~12,000), the rest a
hard-wrapped plain-text abstract (~1,560 characters, ~11 lines); AI summaries
are ~200 CJK characters, titles ~90; every document has the four metadata
items. Everything is generated from a seed, so no shared file is needed.

Usage: python benchmarks/synthetic.py DEST --count N [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
import textwrap
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import attrs

import clipdoc
from clipdoc import Clipping, Metadata

HTML_SHARE = 0.47
# The most frequent Chinese characters, in frequency order.
_CJK = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所"
    "民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
    "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
    "几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权"
    "收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集"
    "温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支"
    "般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属"
    "圆包火住调满县局照参红细引听该铁价严"
)
_WORDS = (
    "model",
    "agents",
    "retrieval",
    "generation",
    "language",
    "large",
    "benchmark",
    "evaluation",
    "reasoning",
    "data",
    "training",
    "learning",
    "policy",
    "optimization",
    "multimodal",
    "vision",
    "robot",
    "planning",
    "search",
    "accuracy",
    "performance",
    "dataset",
    "framework",
    "method",
    "approach",
    "results",
    "baseline",
    "propose",
    "novel",
    "efficient",
)


def _cjk(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_CJK) for _ in range(length))


def _html_summary(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        topic = _cjk(rng, rng.randint(6, 14))
        parts.append(
            f'<a href="https://m.weibo.cn/search?containerid=231522type%3D1%26q%3D%23{rng.getrandbits(64):x}'
            f'%23&amp;extparam=%23{rng.getrandbits(64):x}%23" data-hide="">'
            f'<span class="surl-text">#{topic}#</span></a>'
        )
    target = int(rng.lognormvariate(7.0, 0.55))
    length = sum(map(len, parts))
    while length < target:
        piece = _cjk(rng, rng.randint(20, 80))
        if rng.random() < 0.1:
            piece += f"【图{rng.randint(1, 9)}】"
        parts.append(piece + "<br><br>")
        length += len(parts[-1])
    for _ in range(rng.randint(0, 4)):
        parts.append(
            f'<img style="" src="https://tvax{rng.randint(1, 4)}.sinaimg.cn/large/'
            f'{rng.getrandbits(80):x}.jpg" referrerpolicy="no-referrer"><br><br>'
        )
    return "".join(parts)


def _plain_summary(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(int(rng.gauss(220, 60)) + 20)]
    text = textwrap.fill(" ".join(words).capitalize() + ".", width=78)
    return text + "\n" if rng.random() < 0.6 else text


def make_clipping(rng: random.Random, index: int) -> Clipping:
    html = rng.random() < HTML_SHARE
    saved = datetime(2025, 3, 19, tzinfo=timezone.utc) + timedelta(
        seconds=rng.randint(0, 90 * 86400)
    )
    if rng.random() < 0.01:
        saved = saved.astimezone(timezone(timedelta(hours=8)))
    title = _cjk(rng, rng.randint(40, 100)) + "..."
    url = (
        f"https://weibo.com/{rng.randint(10**9, 10**10)}/{rng.getrandbits(40):x}"
        if html
        else f"http://arxiv.org/abs/25{rng.randint(1, 12):02d}.{rng.randint(10000, 99999)}v1"
    )
    return Clipping(
        title=title,
        url=url,
        original_summary=_html_summary(rng) if html else _plain_summary(rng),
        ai_summary=_cjk(rng, int(rng.gauss(205, 40)) + 40),
        metadata=Metadata(
            source="ArXiv",
            kind="论文",
            saved_at=saved,
            catalog_date=date(saved.year, saved.month, saved.day),
        ),
    )


def documents(count: int, *, seed: int = 2025) -> Iterator[tuple[str, str]]:
    """(relative path, canonical text) for ``count`` synthetic documents."""
    rng = random.Random(seed)
    for index in range(count):
        clip = make_clipping(rng, index)
        dated = clip.metadata and clip.metadata.catalog_date
        folder = dated.isoformat() if dated else "undated"
        yield f"{folder}/{index:06d}_{clip.title[:30]}.md", clipdoc.render(clip)


def large_document(size: int, *, seed: int = 7) -> str:
    """One canonical document of about ``size`` bytes, mostly original summary."""
    rng = random.Random(seed)
    clip = make_clipping(rng, 0)
    body: list[str] = []
    total = 0
    while total < size:
        piece = _html_summary(rng) if rng.random() < HTML_SHARE else _plain_summary(rng)
        body.append(piece)
        total += len(piece.encode("utf-8"))
    return clipdoc.render(attrs.evolve(clip, original_summary="\n".join(body)))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2025)
    options = parser.parse_args(argv)
    for relative, text in documents(options.count, seed=options.seed):
        path = options.destination / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
