"""An Atom Feed Document checker written from the MUSTs of RFC 4287 (The
Atom Syndication Format), each check citing its section, with the IRI
grammar of RFC 3987, the date-time of RFC 3339 and the tag URI of RFC 4151.

`violations(data)` lists what a feed breaks, ``"4.1.2: ..."``; an empty list
is a valid feed. Foreign (extension) elements are allowed where the RFC
allows them (6.4); elements of the Atom namespace it does not define are
not (6.2).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterator
from datetime import date

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# ----------------------------------------------------------- RFC 3987, IRIs

_UCSCHAR = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
    + "".join(f"{chr(plane << 16)}-{chr((plane << 16) + 0xFFFD)}" for plane in range(1, 14))
    + "\U000e1000-\U000efffd"
)
_IPRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_PCT = "%[0-9A-Fa-f]{2}"
_IUNRESERVED = f"[A-Za-z0-9\\-._~{_UCSCHAR}]"
_SUB_DELIMS = "[!$&'()*+,;=]"
_IPCHAR = f"(?:{_IUNRESERVED}|{_PCT}|{_SUB_DELIMS}|[:@])"
_ISEGMENT = f"{_IPCHAR}*"
_ISEGMENT_NZ = f"{_IPCHAR}+"
_ISEGMENT_NZ_NC = f"(?:{_IUNRESERVED}|{_PCT}|{_SUB_DELIMS}|@)+"
_IUSERINFO = f"(?:{_IUNRESERVED}|{_PCT}|{_SUB_DELIMS}|:)*"
_IP_LITERAL = r"\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]"
_IREG_NAME = f"(?:{_IUNRESERVED}|{_PCT}|{_SUB_DELIMS})*"
_IAUTHORITY = f"(?:{_IUSERINFO}@)?(?:{_IP_LITERAL}|{_IREG_NAME})(?::[0-9]*)?"
_IPATH_ABEMPTY = f"(?:/{_ISEGMENT})*"
_IPATH_ABSOLUTE = f"/(?:{_ISEGMENT_NZ}(?:/{_ISEGMENT})*)?"
_IPATH_ROOTLESS = f"{_ISEGMENT_NZ}(?:/{_ISEGMENT})*"
_IPATH_NOSCHEME = f"{_ISEGMENT_NZ_NC}(?:/{_ISEGMENT})*"
_IQUERY = f"(?:{_IPCHAR}|[{_IPRIVATE}]|[/?])*"
_IFRAGMENT = f"(?:{_IPCHAR}|[/?])*"
_SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*"
_TAIL = f"(?:\\?{_IQUERY})?(?:#{_IFRAGMENT})?"
IRI = re.compile(
    f"{_SCHEME}:(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_ROOTLESS}|){_TAIL}"
)
IRELATIVE_REF = re.compile(
    f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_NOSCHEME}|){_TAIL}"
)


def is_iri(text: str) -> bool:
    """An IRI (RFC 3987): absolute, with a scheme."""
    return IRI.fullmatch(text) is not None


def is_iri_reference(text: str) -> bool:
    """An IRI or a relative reference (RFC 3987's IRI-reference)."""
    return is_iri(text) or IRELATIVE_REF.fullmatch(text) is not None


# ---------------------------------------------------- RFC 4151, tag URIs

_PCHAR = f"(?:[A-Za-z0-9\\-._~]|{_PCT}|{_SUB_DELIMS}|[:@])"
_DNS_COMP = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNS_NAME = f"{_DNS_COMP}(?:\\.{_DNS_COMP})*"
_EMAIL = f"[A-Za-z0-9\\-._]+@{_DNS_NAME}"
_TAG_DATE = r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?"
TAG_URI = re.compile(
    f"tag:(?:{_DNS_NAME}|{_EMAIL}),{_TAG_DATE}:(?:{_PCHAR}|[/?])*(?:#(?:{_PCHAR}|[/?])*)?"
)


def is_tag_uri(text: str) -> bool:
    """A tag URI (RFC 4151, section 2.1)."""
    return TAG_URI.fullmatch(text) is not None


# ----------------------------------------- RFC 3339 dates, media types, tags

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))"
)
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
MEDIA_TYPE = re.compile(
    f'{_TOKEN}/{_TOKEN}(?:\\s*;\\s*{_TOKEN}=(?:{_TOKEN}|"(?:[^"\\\\]|\\\\.)*"))*'
)
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_ADDR_SPEC = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+")


def is_date_time(text: str) -> bool:
    """RFC 3339's date-time with an uppercase T and Z (RFC 4287, 3.3)."""
    found = _DATE_TIME.fullmatch(text)
    if found is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
    offset_hours, offset_minutes = found.groups()[6:]
    try:
        date(max(year, 1), month, day)  # year 0000 is RFC 3339's too
    except ValueError:
        return False
    if offset_hours is not None and (int(offset_hours) > 23 or int(offset_minutes) > 59):
        return False
    return hour <= 23 and minute <= 59 and second <= 60


# ------------------------------------------------------------- the checker

#: The children each Atom element may have, and how many (RFC 4287 4.1.1,
#: 4.1.2, 3.2); "*" is any number, "1" exactly one, "?" at most one, "+" one
#: or more (checked separately where "+" depends on other elements).
_FEED_CHILDREN = {
    "author": "*",
    "category": "*",
    "contributor": "*",
    "generator": "?",
    "icon": "?",
    "id": "1",
    "link": "*",
    "logo": "?",
    "rights": "?",
    "subtitle": "?",
    "title": "1",
    "updated": "1",
    "entry": "*",
}
_ENTRY_CHILDREN = {
    "author": "*",
    "category": "*",
    "content": "?",
    "contributor": "*",
    "id": "1",
    "link": "*",
    "published": "?",
    "rights": "?",
    "source": "?",
    "summary": "?",
    "title": "1",
    "updated": "1",
}
_SECTION = {"feed": "4.1.1", "entry": "4.1.2"}
_TEXT_CONSTRUCTS = {"title", "subtitle", "summary", "rights"}
_DATE_CONSTRUCTS = {"updated", "published"}
_PERSON_CONSTRUCTS = {"author", "contributor"}


def _atom(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _local(element: ElementTree.Element) -> str | None:
    """The element's name if it is in the Atom namespace."""
    prefix = f"{{{ATOM}}}"
    return element.tag[len(prefix) :] if element.tag.startswith(prefix) else None


def violations(data: bytes) -> list[str]:
    """What an Atom Feed Document breaks of RFC 4287's MUSTs, each as
    ``"SECTION: what"``; empty for a valid one."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        return [f"2: Atom Documents MUST be well-formed XML ({error})"]
    if root.tag != _atom("feed"):
        return [
            f"4.1.1: the document element of an Atom Feed Document is atom:feed, not {root.tag}"
        ]
    found = list(_check_container(root, "feed"))
    entries = root.findall(_atom("entry"))
    feed_has_author = root.find(_atom("author")) is not None
    if not feed_has_author and not all(e.find(_atom("author")) is not None for e in entries):
        found.append(
            "4.1.1: atom:feed MUST contain one or more atom:author, unless every atom:entry does"
        )
    for number, entry in enumerate(entries, start=1):
        found.extend(f"{rule} (entry {number})" for rule in _check_entry(entry, feed_has_author))
    found.extend(_check_every_element(root))
    return found


def duplicate_ids(data: bytes) -> list[str]:
    """The entry ids that more than one entry has: for RFC 4287 (4.1.1) such
    entries are one entry, which a reader shows once."""
    root = ElementTree.fromstring(data)
    ids = Counter(entry.findtext(_atom("id")) for entry in root.findall(_atom("entry")))
    return sorted(str(text) for text, count in ids.items() if count > 1)


def _check_container(element: ElementTree.Element, name: str) -> Iterator[str]:
    section = _SECTION[name]
    allowed = _FEED_CHILDREN if name == "feed" else _ENTRY_CHILDREN
    counts = Counter(_local(child) for child in element if _local(child) is not None)
    for child_name, count in counts.items():
        assert child_name is not None
        rule = allowed.get(child_name)
        if rule is None:
            yield f"6.2: atom:{child_name} is not an element of atom:{name}"
        elif rule == "1" and count != 1:
            yield f"{section}: atom:{name} MUST contain exactly one atom:{child_name}, not {count}"
        elif rule == "?" and count > 1:
            yield f"{section}: atom:{name} MUST NOT contain more than one atom:{child_name}"
    for child_name, rule in allowed.items():
        if rule == "1" and counts[child_name] == 0:
            yield f"{section}: atom:{name} MUST contain exactly one atom:{child_name}, not 0"
    alternates = Counter(
        (link.get("type"), link.get("hreflang"))
        for link in element.findall(_atom("link"))
        if link.get("rel", "alternate") == "alternate"
    )
    if any(count > 1 for count in alternates.values()):
        yield (
            f"{section}: atom:{name} MUST NOT contain more than one alternate atom:link with the"
            " same type and hreflang"
        )
    identifier = element.findtext(_atom("id"))
    if identifier is not None and not is_iri(identifier):
        yield f"4.2.6: the content of atom:id MUST be an IRI (not a relative one): {identifier!r}"


def _check_entry(entry: ElementTree.Element, feed_has_author: bool) -> Iterator[str]:
    yield from _check_container(entry, "entry")
    if not feed_has_author and entry.find(_atom("author")) is None:
        source = entry.find(_atom("source"))
        if source is None or source.find(_atom("author")) is None:
            yield "4.1.2: atom:entry MUST contain one or more atom:author (none in the feed)"
    content = entry.find(_atom("content"))
    alternate = [
        link for link in entry.findall(_atom("link")) if link.get("rel", "alternate") == "alternate"
    ]
    if content is None and not alternate:
        yield "4.1.2: atom:entry without atom:content MUST contain an alternate atom:link"
    if content is not None and entry.find(_atom("summary")) is None:
        kind = content.get("type", "text")
        base64 = kind not in {"text", "html", "xhtml"} and not (
            kind.startswith("text/") or kind.endswith(("/xml", "+xml"))
        )
        if content.get("src") is not None or base64:
            yield "4.1.2: atom:entry MUST contain atom:summary when its content has src or Base64"


def _check_every_element(root: ElementTree.Element) -> Iterator[str]:
    for element in root.iter():
        language = element.get(XML_LANG)
        if language is not None and language and not LANGUAGE_TAG.fullmatch(language):
            yield f"2: xml:lang MUST be a language tag: {language!r}"
        name = _local(element)
        if name is None:
            continue
        if name in _TEXT_CONSTRUCTS:
            yield from _check_text(element, name, "3.1")
        elif name == "content":
            yield from _check_content(element)
        elif name in _DATE_CONSTRUCTS:
            text = element.text or ""
            if len(element) or not is_date_time(text):
                yield f"3.3: atom:{name} MUST be an RFC 3339 date-time with T and Z: {text!r}"
        elif name in _PERSON_CONSTRUCTS:
            yield from _check_person(element, name)
        elif name == "link":
            yield from _check_link(element)
        elif name == "category" and not element.get("term"):
            yield "4.2.2.1: atom:category MUST have a term attribute"


def _check_text(element: ElementTree.Element, name: str, section: str) -> Iterator[str]:
    kind = element.get("type", "text")
    if kind not in {"text", "html", "xhtml"}:
        yield f"{section}.1: the type of atom:{name} MUST be text, html or xhtml, not {kind!r}"
    elif kind in {"text", "html"} and len(element):
        yield f"{section}.1.1: atom:{name} of type {kind} MUST NOT contain child elements"
    elif kind == "xhtml" and not _one_xhtml_div(element):
        yield f"{section}.1.1.3: atom:{name} of type xhtml MUST be a single XHTML div"


def _one_xhtml_div(element: ElementTree.Element) -> bool:
    return (
        len(element) == 1
        and element[0].tag == f"{{{XHTML}}}div"
        and not (element.text or "").strip()
        and not (element[0].tail or "").strip()
    )


def _check_content(element: ElementTree.Element) -> Iterator[str]:
    kind = element.get("type", "text")
    if kind not in {"text", "html", "xhtml"}:
        if not MEDIA_TYPE.fullmatch(kind):
            yield f"4.1.3.1: the type of atom:content MUST be a MIME media type: {kind!r}"
        elif kind.lower().startswith(("multipart/", "message/")):
            yield f"4.1.3.1: the type of atom:content MUST NOT be a composite type: {kind!r}"
    elif kind in {"text", "html"} and len(element):
        yield f"4.1.3.3: atom:content of type {kind} MUST NOT contain child elements"
    elif kind == "xhtml" and not _one_xhtml_div(element):
        yield "4.1.3.3: atom:content of type xhtml MUST be a single XHTML div"
    source = element.get("src")
    if source is not None:
        if not is_iri_reference(source):
            yield f"4.1.3.2: the src of atom:content MUST be an IRI reference: {source!r}"
        if len(element) or element.text:
            yield "4.1.3.2: atom:content with src MUST be empty"


def _check_person(element: ElementTree.Element, name: str) -> Iterator[str]:
    counts = Counter(_local(child) for child in element)
    if counts["name"] != 1:
        yield f"3.2.1: atom:{name} MUST contain exactly one atom:name, not {counts['name']}"
    for child_name, section in (("uri", "3.2.2"), ("email", "3.2.3")):
        if counts[child_name] > 1:
            yield f"{section}: atom:{name} MUST NOT contain more than one atom:{child_name}"
    uri = element.findtext(_atom("uri"))
    if uri is not None and not is_iri_reference(uri):
        yield f"3.2.2: atom:uri MUST be an IRI reference: {uri!r}"
    email = element.findtext(_atom("email"))
    if email is not None and not _ADDR_SPEC.fullmatch(email):
        yield f"3.2.3: atom:email MUST be an addr-spec: {email!r}"


def _check_link(element: ElementTree.Element) -> Iterator[str]:
    href = element.get("href")
    if href is None:
        yield "4.2.7.1: atom:link MUST have an href attribute"
    elif not is_iri_reference(href):
        yield f"4.2.7.1: the href of atom:link MUST be an IRI reference: {href!r}"
    rel = element.get("rel")
    if rel is not None and not (re.fullmatch(_ISEGMENT_NZ_NC, rel) or is_iri(rel)):
        yield f"4.2.7.2: the rel of atom:link MUST be an isegment-nz-nc or an IRI: {rel!r}"
    kind = element.get("type")
    if kind is not None and not MEDIA_TYPE.fullmatch(kind):
        yield f"4.2.7.3: the type of atom:link MUST be a MIME media type: {kind!r}"
    hreflang = element.get("hreflang")
    if hreflang is not None and not LANGUAGE_TAG.fullmatch(hreflang):
        yield f"4.2.7.4: the hreflang of atom:link MUST be a language tag: {hreflang!r}"
