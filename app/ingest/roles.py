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

from app.errors import InputError
from app.ingest.raw import RawCall

# What an agent says and a customer hardly ever does, in the first few turns.
_GREETING = re.compile(r"(您好|你好).{0,12}(这里是|这边是|欢迎致电|欢迎来电|很高兴为您服务|工号|客服|请问有什么|有什么可以帮)")
_SERVICE = re.compile(r"请问有什么可以帮|有什么可以帮您|很高兴为您服务|为您服务|感谢您的来电|感谢来电|给您添麻烦|帮您查|帮您看|帮您登记|"
                      r"请问您是|请问是.{1,3}(先生|女士)|请您稍等|您稍等|工号")
_PUNCT = re.compile(r"[\s，。、！？；：,.!?;:…~\-\"'“”‘’]")
FIRST_TURNS = 3  # a speaker's utterances read for the greeting and the company's name


class RolesUnknown(InputError):
    """Neither the format, a mapping nor the call's words say who the agent is."""


@dataclass(frozen=True)
class Settled:
    roles: list[str]  # "agent" / "customer", one per utterance of the RawCall
    method: str  # format | mapped | inferred
    agent: str | None  # the agent's speaker label as the format writes it
    reason: str


def _describe(labels: list[str | None]) -> str:
    return ", ".join(repr(x) if x is not None else "(unlabelled)" for x in labels)


def settle(raw: RawCall, agent: str | None = None, company: tuple[str, ...] = ()) -> Settled:
    """Roles for every utterance of `raw`. `agent`: the agent's label, when the user gave it."""
    utts = raw.utterances
    labels = list(dict.fromkeys(u.speaker for u in utts))
    if agent is not None:
        if agent not in labels:
            raise RolesUnknown(f"the agent was given as speaker {agent!r}, but this call's speakers are "
                               f"{_describe(labels)}; give one of them")
        return Settled(["agent" if u.speaker == agent else "customer" for u in utts], "mapped", agent,
                       f"speaker {agent!r} is the agent as configured; {_describe([x for x in labels if x != agent]) or 'no one'} "
                       "the customer")
    if all(u.role is not None for u in utts):
        agents = sorted({u.speaker for u in utts if u.role == "agent" and u.speaker is not None})
        return Settled([u.role for u in utts], "format", agents[0] if agents else None,
                       f"the {raw.format} file names the roles")
    known = {u.speaker: u.role for u in utts if u.role is not None}
    if "agent" in known.values():
        # the format named the agent; every speaker it did not name is on the other side
        return Settled([u.role or known.get(u.speaker) or "customer" for u in utts], "format",
                       next(k for k, v in known.items() if v == "agent"),
                       f"the {raw.format} file names the agent; other speakers are taken as the customer")
    unnamed = [x for x in labels if x not in known]
    if "customer" in known.values() and len(unnamed) == 1:
        # the format named the customer; the one speaker it did not name is the agent
        return Settled(["agent" if u.speaker == unnamed[0] else (u.role or known[u.speaker]) for u in utts], "format",
                       unnamed[0], f"the {raw.format} file names the customer; speaker {unnamed[0]!r} is the agent")
    return _infer(raw, labels, company)


def _infer(raw: RawCall, labels: list[str | None], company: tuple[str, ...]) -> Settled:
    if len(labels) < 2:
        raise RolesUnknown(
            f"cannot tell the agent from the customer: the {raw.format} input names "
            f"{'no speakers' if labels == [None] else 'one speaker only'}. Send it with speaker labels "
            "(diarization or channel identification), or as native JSON")
    forms = tuple(_PUNCT.sub("", c) for c in company if c)
    evidence: dict[str | None, list[str]] = {}
    seen: dict[str | None, int] = {}
    for u in raw.utterances:
        n = seen.get(u.speaker, 0)
        seen[u.speaker] = n + 1
        text = _PUNCT.sub("", u.text)
        why = evidence.setdefault(u.speaker, [])
        if n < FIRST_TURNS:
            if _GREETING.search(text) and "greets" not in why:
                why.append("greets")
            for form in forms:
                if form and form in text and "names the company" not in why:
                    why.append("names the company")
        m = _SERVICE.search(text)
        if m and len([w for w in why if w.startswith("says")]) < 2 and f"says {m.group(0)}" not in why:
            why.append(f"says {m.group(0)}")
    weight = {label: sum(3 if w in ("greets", "names the company") else 1 for w in why)
              for label, why in evidence.items()}
    ranked = sorted(labels, key=lambda x: weight.get(x, 0), reverse=True)
    best, second = ranked[0], ranked[1]
    if weight.get(best, 0) < 2 or weight.get(best, 0) - weight.get(second, 0) < 2:
        found = "; ".join(f"{x!r}: {', '.join(evidence[x])}" for x in labels if evidence.get(x))
        raise RolesUnknown(
            f"cannot tell which speaker is the agent ({_describe(labels)}): "
            + (f"the evidence is even ({found})" if found else "no speaker greets, names the company or offers help")
            + ". Give the agent's speaker label (?agent=LABEL, --agent LABEL, or CALLQA_AGENT_SPEAKERS for the format)")
    roles = ["agent" if u.speaker == best else "customer" for u in raw.utterances]
    return Settled(roles, "inferred", best, f"speaker {best!r} inferred as the agent: {', '.join(evidence[best])}")
