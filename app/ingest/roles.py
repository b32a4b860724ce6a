"""Who is the agent: said by the format, mapped by the user, or inferred from what is said.

Most formats name speakers by channel or diarization label only. A mapping says which label is
the agent (per request, or per format in settings); without one, the agent is inferred: the
speaker who greets the caller in the service's way, names the company, or offers help. The
result says which way roles were settled and why. A call where neither works is refused:
nothing is scored with roles guessed silently, since a customer's words scored as the agent's
would accuse the agent of what the customer said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter, methodcaller

from app.errors import InputError
from app.ingest.raw import RawCall

# What an agent says and a customer hardly ever does: the service greeting in the first few
# turns (weighed 3), and the service's way of talking all through the call (1 each).
_GREETING = re.compile(r"(您好|你好|上午好|下午好|晚上好|欢迎)[^|]{0,12}(这里是|这边是|欢迎致电|欢迎来电|很高兴为您服务|工号|客服|"
                       r"热线|服务中心|售后|请问有什么|有什么可以帮|需要什么帮助|请讲)|工号[^|]{0,6}为您服务")
_SERVICE = re.compile(r"为您|帮您|给您|请您|麻烦您|您的|您这边|您说的|您看|您稍等|稍等|请问|登记|工单|保修|"
                      r"感谢您|感谢来电|祝您|再见|工号|客服|不好意思")
# ... and what a caller says of their own things to the service
_CALLER = re.compile(r"你们|我家|我的|我买|我们家|我这个|我那个|你好我|喂你好|什么时候能|怎么回事|太差|投诉你")
# A caller telling their own story: what happened to them, their phone, their money, their family
# (我昨天…才发现, 扣我的钱, 我孩子). An agent hardly ever talks like this about themselves.
_NARRATION = re.compile(r"我(昨天|前天|今天早上|当时|从来|根本|一直在|才发现|发现|又没|也没|没有(点|订|开|同意|操作|玩|用|回复))|"
                        r"扣(了)?我|给我扣|我的(钱|手机|卡|话费|账户|号码)|我(这)?手机|我(妈|爸|孩子|老公|老婆|家里|儿子|女儿)|"
                        r"我都不知道|怎么突然|怎么回事|为啥|凭什么|我买的|我充的")
_PUNCT = re.compile(r"[\s，。、！？；：,.!?;:…~\-\"'“”‘’]")
FIRST_TURNS = 3  # a speaker's utterances read for the greeting and the company's name
MARGIN = 3  # how much more agent-like the agent must sound than anyone else
READ_CHARS = 600  # of each speaker's speech, read for the way they talk (enough to tell; bounded cost)


_SPEAKER = itemgetter("speaker")
_ROLE = methodcaller("get", "role")


class RolesUnknown(InputError):
    """Neither the format, a mapping nor the call's words say who the agent is."""


@dataclass(frozen=True)
class Settled:
    roles: list[str]  # "agent" / "customer", one per utterance of the RawCall
    method: str  # format | mapped | inferred
    agent: str | None  # the agent's speaker label as the format writes it
    reason: str


def has_narration(text: str) -> bool:
    """Could `text` hold a caller's story at all (two cues of one)? One search."""
    return len(_NARRATION.findall(text)) >= 2


def narration(text: str) -> list[str]:
    """The cues of a caller's own story in `text` when they outweigh the service's way of
    talking by two or more (else []): speech labelled as the agent's that reads like this is
    likely the customer's, put on the agent's side by the recognizer."""
    told = _NARRATION.findall(text)
    if len(told) < 2:
        return []
    cues = [m.group(0) for m in _NARRATION.finditer(text)]
    return cues if len(cues) - len(_SERVICE.findall(text)) >= 2 else []


def caller_cues(text: str) -> int:
    """How many of a caller's ways of talking (their own things, their story) `text` holds."""
    return len(_CALLER.findall(text)) + len(_NARRATION.findall(text))


def agent_cues(text: str) -> int:
    """How many of the service's ways of talking `text` holds (a service greeting weighs 3)."""
    return len(_SERVICE.findall(text)) + 3 * len(_GREETING.findall(text))


def names_company(first: str, forms: tuple[str, ...]) -> bool:
    """Does `first` (a speaker's first turns, punctuation gone) name the company: a form as
    written, or one of three characters or more with half of them in place (东方永红 for
    东方雨虹, the recognizer slipping on the rest)?"""
    for f in forms:
        if f in first:
            return True
        n = len(f)
        if n >= 3:
            need = (n + 1) // 2
            for i in range(len(first) - n + 1):
                if sum(a == b for a, b in zip(first[i:i + n], f, strict=True)) >= need and first[i] == f[0]:
                    return True
    return False


def _describe(labels: list[str | None]) -> str:
    return ", ".join(repr(x) if x is not None else "(unlabelled)" for x in labels)


def settle(raw: RawCall, agent: str | None = None, company: tuple[str, ...] = ()) -> Settled:
    """Roles for every utterance of `raw`. `agent`: the agent's label, when the user gave it."""
    utts = raw.utterances
    speakers = list(map(_SPEAKER, utts))
    labels = list(dict.fromkeys(speakers))
    if agent is not None:
        if agent not in labels:
            raise RolesUnknown(f"the agent was given as speaker {agent!r}, but this call's speakers are "
                               f"{_describe(labels)}; give one of them")
        role_of = {x: "agent" if x == agent else "customer" for x in labels}
        return Settled(list(map(role_of.__getitem__, speakers)), "mapped", agent,
                       f"speaker {agent!r} is the agent as configured; {_describe([x for x in labels if x != agent]) or 'no one'} "
                       "the customer")
    roles = list(map(_ROLE, utts))
    if None not in roles:
        agents = sorted({x for x, role in set(zip(speakers, roles, strict=True)) if role == "agent" and x is not None})
        return Settled(roles, "format", agents[0] if agents else None, f"the {raw.format} file names the roles")
    known = {u["speaker"]: u.get("role") for u in utts if u.get("role") is not None}
    if "agent" in known.values():
        # the format named the agent; every speaker it did not name is on the other side
        return Settled([u.get("role") or known.get(u["speaker"]) or "customer" for u in utts], "format",
                       next(k for k, v in known.items() if v == "agent"),
                       f"the {raw.format} file names the agent; other speakers are taken as the customer")
    unnamed = [x for x in labels if x not in known]
    if "customer" in known.values() and len(unnamed) == 1:
        # the format named the customer; the one speaker it did not name is the agent
        return Settled(["agent" if u["speaker"] == unnamed[0] else (u.get("role") or known[u["speaker"]]) for u in utts], "format",
                       unnamed[0], f"the {raw.format} file names the customer; speaker {unnamed[0]!r} is the agent")
    return _infer(raw, labels, company)


def _infer(raw: RawCall, labels: list[str | None], company: tuple[str, ...]) -> Settled:
    if len(labels) < 2:
        raise RolesUnknown(
            f"cannot tell the agent from the customer: the {raw.format} input names "
            f"{'no speakers' if labels == [None] else 'one speaker only'}. Send it with speaker labels "
            "(diarization or channel identification), or as native JSON")
    forms = tuple(f for f in (_PUNCT.sub("", c) for c in company if c) if f)
    said: dict[str | None, list[str]] = {}
    for u in raw.utterances:
        said.setdefault(u["speaker"], []).append(u["text"])
    greets: dict[str | None, bool] = {}
    names: dict[str | None, bool] = {}
    service: dict[str | None, int] = {}
    caller: dict[str | None, int] = {}
    for x, texts in said.items():
        # one pass per speaker; "|" between utterances, so no phrase is found across two
        first = _PUNCT.sub("", "|".join(texts[:FIRST_TURNS]))
        whole = "|".join(texts)[:READ_CHARS]
        greets[x] = bool(_GREETING.search(first))
        names[x] = names_company(first, forms)
        service[x] = len(_SERVICE.findall(whole))
        caller[x] = len(_CALLER.findall(whole))

    def weight(x) -> int:
        return 3 * greets.get(x, False) + 3 * names.get(x, False) + service.get(x, 0) - caller.get(x, 0)

    def why(x) -> str:
        parts = [w for w, on in (("greets the caller", greets.get(x)), ("names the company", names.get(x))) if on]
        parts.append(f"{service.get(x, 0)} service phrases against {caller.get(x, 0)} of a caller's")
        return ", ".join(parts)

    ranked = sorted(labels, key=weight, reverse=True)
    best, second = ranked[0], ranked[1]
    if weight(best) < MARGIN or weight(best) - weight(second) < MARGIN:
        raise RolesUnknown(
            f"cannot tell which speaker is the agent ({_describe(labels)}): "
            + "; ".join(f"{x!r} {why(x)}" for x in labels)
            + ". Give the agent's speaker label (?agent=LABEL, --agent LABEL, or CALLQA_AGENT_SPEAKERS for the format)")
    roles = ["agent" if u["speaker"] == best else "customer" for u in raw.utterances]
    return Settled(roles, "inferred", best, f"speaker {best!r} inferred as the agent: {why(best)}; "
                                            f"{', '.join(repr(x) for x in ranked[1:])}: {why(second)}")
