"""A collection built to hit every quirk of the producer's index generator.

`build(root)` writes it; `tests/data/ai_info/edge-index.expected.md` is what
the producer's own program (../shared/reference/ai_info-index, built with Go)
writes for it, and `tests/test_ai_info.py` checks clipdoc against that file.
"""

from __future__ import annotations

import os
from pathlib import Path

HTML = '<a href="x">#话题#</a><br>正文&nbsp;一&lt;二&gt;三&amp;四&quot;五<br><img src="y">'
LONG_CJK = "这是一个很长的摘要，" * 30
LONG_ASCII = "word " * 40 + "end. " + "more " * 20


def document(
    title: str,
    *,
    url: str = "https://weibo.com/1/x",
    original: str = "原文",
    ai: str = "摘要",
    saved_at: str = "2025-05-06T08:03:26Z",
    catalog: str = "2025-05-06",
) -> str:
    return (
        f"# {title}\n\n**URL**: {url}\n\n## 原始摘要\n\n{original}\n\n## AI 摘要\n\n{ai}\n\n"
        f"## 元数据\n\n- **来源**: ArXiv\n- **类型**: 论文\n- **保存时间**: {saved_at}\n"
        f"- **目录日期**: {catalog}\n"
    )


def build(root: Path) -> None:
    def write(relative: str | bytes, data: str | bytes) -> None:
        path = os.path.join(os.fsencode(root), os.fsencode(relative))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(data.encode() if isinstance(data, str) else data)

    # Many documents saved in the same minute: the unstable sort decides.
    for number in range(30):
        write(
            f"2025-05-06/same_minute_{number:02d}.md",
            document(f"同一分钟 {number}", saved_at=f"2025-05-06T08:03:{number:02d}Z"),
        )
    # Times the sort cannot parse mixed with times it can.
    write("2025-05-06/no_time.md", document("没有时间", saved_at="yesterday"))
    write("2025-05-06/no_metadata.md", "# 只有标题\n\n**URL**: https://a.example/\n")
    write("2025-05-05/offset.md", document("东八区", saved_at="2025-05-06T16:03:26+08:00"))
    write("2025-05-05/fraction.md", document("小数秒", saved_at="2025-05-05T23:59:59.999Z"))
    write("2025-05-05/one_digit_hour.md", document("一位小时", saved_at="2025-05-05T7:05:00Z"))
    write("2025-05-05/minutes_only.md", document("只到分钟", saved_at="2025-05-05 07:05"))
    write("2025-05-05/bad_day.md", document("坏日期", saved_at="2025-02-30T00:00:00Z"))
    write("2025-05-05/lower_z.md", document("小写z", saved_at="2025-05-05T00:00:00z"))
    write("2025-05-05/offset_24.md", document("偏移24", saved_at="2025-05-05T01:00:00+24:00"))
    # Summaries: HTML, the template, long ones cut inside a character.
    write("2025-05-04/html.md", document("HTML 摘要", original=HTML, ai=""))
    write(
        "2025-05-04/template.md",
        document("模板", original="原始的", ai="主要探讨了最新进展和研究方向。"),
    )
    write("2025-05-04/long_cjk.md", document("长中文", ai=LONG_CJK))
    write("2025-05-04/long_ascii.md", document("long ascii", ai=LONG_ASCII))
    write(
        "2025-05-04/many_lines.md",
        document("多行", ai="\n".join(f"第{n}行" for n in range(9))),
    )
    write("2025-05-04/markdown_chars.md", document("a|b*c_d`e", ai="x|y*z_w`v"))
    # Encodings and line endings.
    write("2025-05-03/bom.md", b"\xef\xbb\xbf" + document("带BOM").encode())
    write("2025-05-03/crlf.md", document("回车换行").replace("\n", "\r\n"))
    write(
        "2025-05-03/invalid_utf8.md",
        document("坏字节").encode().replace("字节".encode(), b"\xff\xfe"),
    )
    write("2025-05-03/control.md", document("控制\x01字符\x7f", ai="摘\x0b要\x85"))
    write(b"2025-05-03/\xe6\x91bad name.md", document("坏文件名"))
    write("2025-05-03/empty.md", "")
    write("2025-05-03/fffd.md", document("替换\ufffd字符", ai="\ufffd" + LONG_CJK))
    # A merge conflict committed as it is.
    write(
        "2025-05-02/conflicted.md",
        document("冲突", ai="<<<<<<< HEAD\n真的\n=======\n模板\n>>>>>>> 6440bc6 (remove .env)"),
    )
    # Folders: not dates, impossible dates, a leap day; a README inside one.
    write("2025-02-29/not_a_leap_year.md", document("不是闰年"))
    write("2024-02-29/leap_day.md", document("闰日", saved_at="2024-02-29T12:00:00Z"))
    write("0000-01-01/year_zero.md", document("零年", saved_at="0000-01-01T00:00:00Z"))
    write("notes/not_a_date.md", document("不是日期"))
    write("2025-5-06/short_month.md", document("短月份"))
    write("2025-05-01/README.md", "# 不是剪藏\n")
    write("2025-05-01/x.md/inner.md", document("目录"))
    write("2025-05-01/not_markdown.txt", "ignored")
    write("README.md", "# 旧的索引\n")
