"""Readers of transcripts written as text: SRT and WebVTT subtitles, and the plain-text exports
call centers make (`坐席：…` / `客户：…`, `A:` / `B:`, `说话人1`, `[SPEAKER_00]`, with or
without timestamps and turn numbers). Written to take files as real tools write them: two-digit
milliseconds, stray lines, two blank lines between cues, lines wrapped mid-sentence."""

from __future__ import annotations

import re

from app.ingest.raw import FormatMismatch, MalformedInput, RawCall, RawUtterance, ms_digits, utterance
from app.models import MAX_MS

AGENT_WORDS = ("人工客服", "AI客服", "坐席", "座席", "客服", "机器人", "销售", "agent", "Agent", "AGENT")
CUSTOMER_WORDS = ("来电人", "客户", "用户", "customer", "Customer", "CUSTOMER")
ROLE_OF = {**{w: "agent" for w in AGENT_WORDS}, **{w: "customer" for w in CUSTOMER_WORDS}}

_LABEL = "|".join(sorted(map(re.escape, ROLE_OF), key=len, reverse=True))
# A speaker before the text: 坐席： / A: / 说话人 1： / [SPEAKER_00]: / SPEAKER_00:
_SPEAKER = re.compile(rf"^\s*(?:\[(?P<spk>SPEAKER_\d+)\]\s*[:：]?|(?P<label>{_LABEL}|说话人\s*\d+|SPEAKER_\d+|[A-D])\s*[:：])\s*")
_VOICE = re.compile(r"^\s*<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>\s*")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")

_CLOCK = r"(?:(?P<{p}h>\d{{1,2}}):)?(?P<{p}m>\d{{1,2}}):(?P<{p}s>\d{{1,2}})(?:[.,](?P<{p}f>\d{{1,3}}))?"
_CUE = re.compile(r"^\s*" + _CLOCK.format(p="a") + r"\s*-->\s*" + _CLOCK.format(p="b") + r"(?:\s.*)?$")


def _clock(m: re.Match, p: str) -> int:
    h, mi, s, f = (m.group(p + k) for k in "hmsf")
    frac = int((f + "00")[:3]) if f else 0  # ",33" is 0.33 s: a decimal fraction
    return ((int(h or 0) * 60 + int(mi)) * 60 + int(s)) * 1000 + frac


def _join(a: str, b: str) -> str:
    """Lines of one cue or turn: wrapped Chinese runs on without a space, other text with one."""
    if not a:
        return b
    if not b:
        return a
    if a[-1].isascii() and b[0].isascii():
        return f"{a} {b}"
    return a + b


def _speaker(text: str) -> tuple[str | None, str | None, str]:
    """(label, role, text without the label) of a line that may start with a speaker."""
    m = _VOICE.match(text)
    if m:
        name = m.group("name").strip()
        rest = _TAG.sub("", text[m.end():])
        return name, ROLE_OF.get(name), rest.strip()
    m = _SPEAKER.match(text)
    if not m:
        return None, None, text.strip()
    name = re.sub(r"\s+", "", m.group("spk") or m.group("label"))
    return name, ROLE_OF.get(name), text[m.end():].strip()


def _only_marks(line: str) -> bool:
    """A stray line of dots or punctuation, as some subtitle tools leave."""
    return all(not ch.isalnum() for ch in line)


def subtitles(text: str, fmt: str) -> list[RawCall]:
    """SRT or WebVTT: each cue an utterance; a speaker from `[SPEAKER_00]:`, `坐席：` or
    `<v 坐席>` at its start, carried to the next cues until another is named."""
    lines = text.splitlines()
    if fmt == "webvtt":
        if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            raise FormatMismatch("no WEBVTT header")
    elif not any(_CUE.match(line) for line in lines[:50]):
        raise FormatMismatch("no SRT cue timing (00:00:01,000 --> 00:00:02,000) in the first 50 lines")
    out: list[RawUtterance] = []
    current: RawUtterance | None = None
    speaker = role = None
    skipping = False  # inside a WebVTT NOTE / STYLE / REGION block
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            current, skipping = None, False
            continue
        if skipping:
            continue
        if fmt == "webvtt" and (stripped.startswith(("NOTE", "STYLE", "REGION")) or stripped.startswith("WEBVTT")):
            skipping = not stripped.startswith("WEBVTT")
            continue
        m = _CUE.match(stripped)
        if m:
            start, end = _clock(m, "a"), _clock(m, "b")
            if end < start:
                raise MalformedInput(f"line {number}: the cue ends before it starts")
            current = utterance(speaker, "", start, end, role)
            out.append(current)
            continue
        if current is None:
            continue  # a cue number or identifier, or a stray line between cues
        if _only_marks(stripped):
            continue
        if not current["text"]:
            name, named_role, stripped = _speaker(stripped)
            if name is not None:
                speaker, role = name, named_role
                current["speaker"], current["role"] = speaker, role
        current["text"] = _join(current["text"], _TAG.sub("", stripped).strip())
    if not out:
        raise MalformedInput("no cues")
    return [RawCall(fmt, [u for u in out if u["text"] or u["start_ms"] is not None])]


def srt(text: str) -> list[RawCall]:
    return subtitles(text, "srt")


def webvtt(text: str) -> list[RawCall]:
    return subtitles(text, "webvtt")


# [12] / 12. / 12、 / 【第1轮】 before a turn, and a time: [00:01:23], 00:01:23, [1s -> 20s]
_NUMBER = re.compile(r"^\s*(?:\[\d+\]|\d+[.、)]|【第\d+轮】)\s*")
_STAMP = re.compile(r"^\s*\[?(?:(?P<a>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)|(?P<s1>\d+(?:\.\d+)?)s\s*->\s*(?P<s2>\d+(?:\.\d+)?)s)\]?\s*")
_LI = re.compile(r"^\s*<li\b(?P<attrs>[^>]*)>(?P<body>.*?)(?:</li>)?\s*$")
_ATTR = re.compile(r"(\w+)\s*=\s*\"?([^\s\">]+)")
_ROUND = re.compile(r"^\s*【第\d+轮】\s*$")


def _stamp_ms(text: str) -> int:
    parts = [float(p) for p in text.replace(",", ".").split(":")]
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return int(round(seconds * 1000))


def _seconds_ms(text: str, number: int) -> int:
    value = float(text) * 1000  # (inf for hundreds of digits)
    if not value <= MAX_MS:
        raise MalformedInput(f"line {number}: the time {text[:24]}{'…' if len(text) > 24 else ''}s is too large")
    return int(value)


def plain_text(text: str) -> list[RawCall]:
    """Turns one per line, each led by a speaker (`坐席：`, `客户:`, `A:`, `说话人 1：`,
    `[SPEAKER_00]:`), optionally numbered and timed; a line with no speaker continues the
    turn before it. The bank-QC markup `<li start=… end=…>坐席：…</li>` is read too."""
    out: list[RawUtterance] = []
    labelled = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().lstrip("\ufeff")
        if not line or _ROUND.match(line):
            continue
        start = end = None
        li = _LI.match(line)
        if li:
            attrs = dict(_ATTR.findall(li.group("attrs")))
            if "silences" in attrs.get("class", ""):
                continue
            if not all(ms_digits(attrs[k]) for k in ("start", "end") if k in attrs):
                raise MalformedInput(f"line {number}: start / end are not whole milliseconds (up to 15 digits)")
            start = int(attrs["start"]) if "start" in attrs else None
            end = int(attrs["end"]) if "end" in attrs else None
            line = _TAG.sub("", li.group("body")).strip()
        line = _NUMBER.sub("", line, count=1)
        m = _STAMP.match(line)
        if m and (m.group("a") or m.group("s1")):
            if m.group("a"):
                start = _stamp_ms(m.group("a"))
            else:
                start, end = (_seconds_ms(m.group(g), number) for g in ("s1", "s2"))
            line = line[m.end():]
        name, role, rest = _speaker(line)
        if name is None:
            if out and start is None:
                out[-1]["text"] = _join(out[-1]["text"], rest)
                continue
            if not labelled and number > 20:
                break
            continue
        labelled += 1
        out.append(utterance(name, rest, start, end, role))
    if not labelled:
        raise FormatMismatch("no lines led by a speaker (坐席： / 客户： / A: / 说话人1： / [SPEAKER_00]:)")
    return [RawCall("text", out)]


TEXT_READERS = {"webvtt": webvtt, "srt": srt, "text": plain_text}
