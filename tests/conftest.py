from __future__ import annotations

import pytest

from app.lexicon.compiler import CompiledLexicon, default_lexicon_dir, load_lexicon
from app.models import Call


@pytest.fixture(scope="session")
def lexicon() -> CompiledLexicon:
    return load_lexicon(default_lexicon_dir())


def make_call(*turns, call_id="t-1", company="瑞丰电器", direction=None, timed=False, **extra) -> Call:
    """turns: (speaker, text) or (speaker, text, start_ms, end_ms)."""
    utts = []
    for t in turns:
        u = {"speaker": t[0], "text": t[1]}
        if len(t) == 4:
            u["start_ms"], u["end_ms"] = t[2], t[3]
        utts.append(u)
    data = {"call_id": call_id, "utterances": utts, "variables": {"company": company} if company else {}, **extra}
    if direction:
        data["direction"] = direction
    return Call.model_validate(data)
