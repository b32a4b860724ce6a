"""False-accusation check on real agent language: the helpdesk side of the STC-3 Chinese
customer-helpdesk dialogues (NTCIR-14; Weibo conversations of telecom, travel, phone and
software companies' helpdesk accounts with customers), scored as the agent's speech.

The corpus is not part of callqa: it is read from `../shared/data/stc3/dialogues_cn.jsonl`
beside the checkout (or --data); where it is absent the benchmark says so and stops. Nothing
of its text is kept here: the verdicts below name utterances by dialogue id, turn and
utterance number.

It prints every `forbidden` / `profanity` hit and every helpdesk utterance that holds one of
不知道 / 不清楚 / 不行 / 不管 / 没办法 / 规定, with callqa's verdict beside the one a QA supervisor
gave it after reading it in its dialogue (VERDICTS), and counts false accusations and missed
blunt answers.

    python -m benchmarks.stc3 [--data PATH] [--quiet]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.lexicon.compiler import default_lexicon_dir, load_lexicon
from app.models import Call
from app.score.scorer import score_call

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "stc3" / "dialogues_cn.jsonl"
WORDS = ("不知道", "不清楚", "不行", "不管", "没办法", "规定", "不可以", "做不到")

# (dialogue id, turn number, utterance number in that turn) -> (verdict, why). "blunt": the
# helpdesk leaves the customer with nothing, a forbidden answer; "ok": anything else. Judged by
# reading each utterance in its dialogue; the reasons are paraphrases, not the corpus's words.
VERDICTS: dict[tuple[str, int, int], tuple[str, str]] = {
    ("3444444692870352", 3, 0): ("ok", "playful 'never mind' about a free gift sent by mistake; no service refused"),
    ("3464948182708627", 5, 0): ("ok", "asked whether a feature will come: honestly says it cannot be confirmed yet"),
    ("3488440845297826", 3, 0): ("ok", "a condition ('if none of that works'), then gives the help line"),
    ("3490891866290430", 1, 0): ("ok", "a condition, then asks for the account to check it"),
    ("3497734856660839", 3, 0): ("ok", "a question about the device's state, then asks for the game's name"),
    ("3504963424248903", 1, 0): ("ok", "step-by-step help with a condition for the next step"),
    ("3512554720945156", 3, 0): ("ok", "explains the cause; a condition for the last resort"),
    ("3528578052130180", 3, 0): ("ok", "arranges a technician to contact the customer; 'if all else fails' condition"),
    ("3542292331730679", 1, 0): ("ok", "explains charges 'without the customer knowing'; not the agent's not knowing"),
    ("3550437779356902", 3, 0): ("ok", "polite question about the installed version, then a fix"),
    ("3552554191819801", 3, 0): ("blunt", "asked how something was done, answers only that the helpdesk persona does not know"),
    ("3553899891671426", 1, 0): ("ok", "'if you do not know how' condition, then where to get help"),
    ("3554371718084795", 1, 0): ("blunt", "says it is not clear and sends the customer to a forum to ask others"),
    ("3571249161001580", 1, 0): ("ok", "explains the question is outside its product and names where an answer can be had"),
    ("3571249161001580", 3, 0): ("ok", "explains its scope politely after a clarification"),
    ("3611993350653491", 1, 0): ("ok", "explains the airline's rules and offers to pass the order on"),
    ("3618142858794093", 3, 0): ("ok", "quotes a regulation to explain, then offers a repair report"),
    ("3618935288989820", 1, 0): ("ok", "'if anything is unclear, contact us' invitation"),
    ("3623564948953231", 1, 0): ("ok", "answers, then asks a polite question about the character meant"),
    ("3631644747695955", 5, 0): ("ok", "step-by-step help with a condition"),
    ("3647434787796686", 3, 0): ("blunt", "pressed for the list, says only the editors have it and ends on 'really not clear', offering nothing"),
    ("3685243040737360", 1, 0): ("ok", "polite question: offers remote assistance"),
    ("3704707417487626", 1, 0): ("ok", "apologises for a rule and records the complaint"),
    ("3718473576723593", 5, 0): ("blunt", "'I am not clear either', never saw the prizes, it is the other side's: nothing for the customer"),
    ("3719122841631100", 3, 0): ("ok", "'not possible for now', with the reason and that a fix is coming"),
    ("3728708223343845", 1, 0): ("ok", "asks where the keys 'do not work' (a device's state)"),
    ("3766444439738398", 1, 0): ("ok", "polite question about the program in use"),
    ("3794924045057567", 1, 0): ("ok", "polite question about where the feature is needed, then an alternative"),
    ("3803686491360398", 1, 0): ("ok", "explains the airline's rules and how to check them"),
    ("3803686491360398", 3, 0): ("ok", "repeats the rule, and in the same turn offers to check the order"),
    ("3803729776109142", 1, 0): ("ok", "polite question about where it is slow"),
    ("3828014871441226", 5, 0): ("ok", "a condition for calling back"),
    ("3838199816300134", 5, 0): ("ok", "explains a billing rule"),
    ("3840733834405705", 1, 0): ("ok", "quotes a regulation to explain"),
    ("3865701452761538", 3, 0): ("ok", "explains the rules and how to check them"),
    ("3865701452761538", 5, 0): ("ok", "explains the rule and offers to check the order"),
    ("3867870968759474", 3, 0): ("ok", "explains the repair rule and promises a quick check"),
    ("3910445016337895", 3, 0): ("ok", "step-by-step help with a condition"),
    ("3915670804950381", 5, 0): ("blunt", "asked whether a proxy can do it, answers with a bare 'no'"),
    ("3921687676143717", 3, 0): ("ok", "says the platform holds agents to the airline's rules"),
    ("3930105187921717", 1, 0): ("ok", "a condition, then where to get it repaired"),
    ("3943136432935414", 1, 0): ("ok", "'bookmarks do not work' (a method's state), then what works"),
    ("3944143212804311", 3, 0): ("ok", "explains why booking failed and that it is fixed"),
    ("3975005538617455", 1, 0): ("ok", "explains the late-payment rule"),
    ("4054304291433421", 3, 0): ("ok", "a condition, then where to get it checked"),
    ("3903647446189888", 5, 0): ("ok", "answers a yes/no question about the hardware with 'no' and the reason"),
    ("3906983981287709", 1, 0): ("ok", "'no, it does not fit', and which case to search for"),
    ("3948960789531942", 1, 0): ("ok", "answers whether tickets can be checked there: a fact, not a refusal"),
    ("3954359370924745", 3, 0): ("blunt", "asked to undo the exchange, says only 'sorry, can't do it', nothing offered"),
    ("3956266697447313", 3, 0): ("ok", "answers whether the blur can be removed: a fact about the phone"),
    ("3965041341078954", 1, 0): ("ok", "'not possible for now', then how to switch the SIM for data"),
    ("4003440894509323", 3, 0): ("ok", "'that really cannot be done', and suggests a third-party store"),
    ("3625069127390160", 3, 0): ("ok", "'other devices cannot yet', and which models can"),
    ("3626716880208164", 1, 0): ("ok", "apologizes, steps to try, a condition for contacting them"),
    ("3815907342261407", 1, 0): ("ok", "'could you' asks for the order number, promises to check"),
    ("3820053563168264", 1, 0): ("ok", "'could you' asks for the order number, promises to check"),
    ("3821340882388779", 3, 0): ("ok", "a condition, then the steps to reset"),
    ("3841353278718529", 1, 0): ("ok", "asks whether the speaker works, a condition for restarting"),
    ("3925194911917206", 1, 0): ("ok", "'sorry, it cannot be chosen again': a rule, with regret"),
    ("3932384174978618", 5, 0): ("ok", "'sorry, it is not possible', answering whether it can be done"),
    ("3964475709818707", 3, 0): ("ok", "asks whether it stopped working after the update"),
    ("3965392680358243", 3, 0): ("ok", "suggests trying another version to see whether it works"),
    ("4079388452755871", 1, 0): ("ok", "step-by-step help with a condition"),
    ("4186043324971365", 5, 0): ("ok", "explains the speed-limit rule of the plan"),
}


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def as_call(dialogue: dict) -> tuple[Call, list[tuple[int, int]]]:
    """The dialogue as a call (helpdesk = agent), and for each utterance its (turn, number)."""
    utterances, where = [], []
    for ti, turn in enumerate(dialogue["turns"]):
        speaker = "agent" if turn["sender"] == "helpdesk" else "customer"
        for ui, text in enumerate(turn["utterances"]):
            utterances.append({"speaker": speaker, "text": text})
            where.append((ti, ui))
    return Call.model_validate({"call_id": dialogue["id"], "utterances": utterances}), where


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"the corpus (default {DEFAULT_DATA})")
    ap.add_argument("--quiet", action="store_true", help="print the counts only")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"STC-3 check skipped: no corpus at {args.data} (see ../shared/data/stc3/README.md)")
        return 0

    lex = load_lexicon(default_lexicon_dir())
    dialogues = load(args.data)
    flagged: dict[tuple[str, int, int], list[str]] = {}
    keyword: set[tuple[str, int, int]] = set()
    texts: dict[tuple[str, int, int], str] = {}
    helpdesk = 0
    for d in dialogues:
        call, where = as_call(d)
        if not any(u.speaker == "agent" and u.text.strip() for u in call.utterances):
            continue
        result = score_call(call, lex)
        for i, u in enumerate(call.utterances):
            if u.speaker != "agent":
                continue
            helpdesk += 1
            key = (d["id"], *where[i])
            texts[key] = u.text
            if any(w in u.text for w in WORDS):
                keyword.add(key)
        for rule in result.rules:
            if rule.rule_id in ("forbidden", "profanity"):
                for h in rule.hits:
                    key = (d["id"], *where[h.utterance_index])
                    flagged.setdefault(key, []).append(f"{rule.rule_id}:{h.phrase}={h.matched!r}({h.method})")

    false_acc, missed, unjudged = [], [], []
    for key in sorted(set(flagged) | keyword):
        verdict = VERDICTS.get(key)
        hit = key in flagged
        if verdict is None:
            unjudged.append(key)
        elif hit and verdict[0] != "blunt":
            false_acc.append(key)
        elif not hit and verdict[0] == "blunt":
            missed.append(key)
        if not args.quiet:
            mark = "FLAGGED" if hit else "-------"
            label = verdict[0] if verdict else "??"
            print(f"{mark} [{label:>7}] {key[0]} t{key[1]}.{key[2]}  {' '.join(flagged.get(key, []))}")
            print(f"          {texts[key][:160]}")
            if verdict:
                print(f"          verdict: {verdict[1]}")
    blunt = [k for k, v in VERDICTS.items() if v[0] == "blunt"]
    print()
    print(f"STC-3: {len(dialogues)} dialogues, {helpdesk} helpdesk utterances scored as agent speech; lexicon {lex.version}")
    print(f"  helpdesk utterances with {' / '.join(WORDS)}: {len(keyword)}; flagged by callqa: {len(flagged)}")
    print(f"  false accusations: {len(false_acc)}  {false_acc}")
    print(f"  blunt answers (supervisor): {len(blunt)}; missed: {len(missed)}  {missed}")
    if unjudged:
        print(f"  not yet judged: {len(unjudged)}  {unjudged}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
