"""How an action's result reads on screen: one line, its outcome said once, a hint only when it adds something.

Shared by the action panels (one gateway or many), the status line and presentation mode, so a result reads
the same wherever it is shown; and the lists of results a bulk run hands on (copy, save).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from rich.text import Text

from convos_tui.api.interpret import one_line
from convos_tui.export import write_csv_and_json
from convos_tui.fleet.actions import OK, REFUSED, UNKNOWN, UNSUPPORTED, ActionResult, tally

STYLES = {
    OK: "green",
    REFUSED: "yellow",
    UNKNOWN: "yellow",
    UNSUPPORTED: "cyan",
}  # unsupported: not the gateway's fault


def outcome_style(outcome: str) -> str:
    return STYLES.get(outcome, "red")


def said(result: ActionResult) -> str:
    """ "failed: the plugin could not …": the outcome once, even when the summary already starts with it (an
    unsupported one always does: "not supported by this gateway's runtime: …")."""
    summary = result.summary
    if result.outcome in (OK, UNSUPPORTED) or _words(summary).startswith(_words(result.outcome)):
        return summary
    return f"{result.outcome}: {summary}"


def useful_hint(result: ActionResult) -> str:
    """The hint, unless it only says the summary again (a 409's "already holds a conversation…")."""
    hint, summary = _words(result.hint), _words(result.summary.split(": ", 1)[-1])
    if not hint or summary in hint or hint in summary:
        return ""
    return result.hint


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def result_text(result: ActionResult) -> Text:
    """The result of one action, for a panel: ✔ and the summary (and the invite), or the outcome, why and what to do."""
    text = Text()
    if result.ok:
        text.append("✔ ", style="bold green")
        text.append(result.summary)
        if result.data.get("invite_url"):
            text.append("\ninvite: ", style="bold")
            text.append(result.data["invite_url"])
        return text
    outcome, _, rest = said(result).partition(": ")
    text.append(f"{outcome}: ", style=f"bold {outcome_style(result.outcome)}")
    text.append(rest)
    if hint := useful_hint(result):
        text.append(f"\n{hint}", style="dim")
    if result.detail and result.detail != result.summary:
        text.append("\nd shows the gateway's full answer", style="dim")
    return text


def result_cells(result: ActionResult) -> tuple[Text, Text, Text, Text]:
    return (
        Text(result.gateway),
        Text(result.outcome, style=outcome_style(result.outcome)),
        Text(f"{result.elapsed_s:.1f} s"),
        Text(result.summary),
    )


def bulk_outcome(results: Sequence[ActionResult], elapsed_s: float) -> Text:
    text = Text(f"done in {elapsed_s:.1f} s: ", style="bold")
    text.append(tally(results))
    text.append("\ny copies the results, w saves them (CSV and JSON), d shows a row's full answer", style="dim")
    return text


RESULT_FIELDS = ("gateway", "action", "outcome", "summary", "hint", "elapsed_s", "conversation_id", "invite_url")


def results_text(results: Sequence[ActionResult]) -> str:
    """Tab-separated, one gateway a line: pastes into a ticket or a spreadsheet."""
    lines = ["\t".join(RESULT_FIELDS)]
    for result in results:
        row = result.as_dict()
        lines.append("\t".join(one_line(str(row.get(key) or ""), limit=10_000) for key in RESULT_FIELDS))
    return "\n".join(lines) + "\n"


def save_results(results: Sequence[ActionResult], action: str, folder: Path, *, now: float) -> list[Path]:
    """`convos-<action>-<UTC time>.csv` and `.json` in `folder`."""
    return write_csv_and_json([r.as_dict() for r in results], RESULT_FIELDS, folder, f"convos-{action}", now=now)


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
