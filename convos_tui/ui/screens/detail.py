"""One gateway in full: normalised and raw status, state timeline, latency, its conversation and invite,
and the recent actions on it; for an instance this console launched, its phases, pid and port, and its log
followed live."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Sparkline, Static

from convos_tui.api.interpret import gateway_text
from convos_tui.fleet.state import GatewayState, describe_duration
from convos_tui.instances.records import PHASES, InstanceRecord
from convos_tui.ui.instances import Follower
from convos_tui.ui.keys import bindings
from convos_tui.ui.results import outcome_style
from convos_tui.ui.rows import STATE_STYLE, launched, state_text
from convos_tui.ui.widgets.footer import Footer
from convos_tui.ui.widgets.log_view import LogView

if TYPE_CHECKING:
    from convos_tui.fleet.inventory import GatewayConfig
    from convos_tui.ui.context import Context


def clock_time(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def field(text: Text, label: str, value: str | Text, style: str = "") -> None:
    text.append(f"{label:<14}", style="dim")
    if isinstance(value, Text):
        text.append_text(value)
    else:
        text.append(value, style=style)
    text.append("\n")


LOGS_ELSEWHERE = (
    "Logs: this console did not launch this gateway, so it has no log of it to follow. On the gateway's host they "
    "are in the file logging.file names in its openclaw.json, else in OpenClaw's default /tmp/openclaw/ "
    "(in a container: docker logs)."
)


class DetailScreen(Screen[None]):
    BINDINGS = bindings("detail")  # fleet/console_names.py: KEYS

    def __init__(self, name: str, context: Context) -> None:
        super().__init__(id="detail")
        self.context = context
        self.gateway_name = name
        self.show_raw = False
        self.log_follower: Follower | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        with VerticalScroll(id="detail-body"):
            with Horizontal(id="detail-top"):
                yield Static(id="detail-state", classes="panel")
                yield Static(id="detail-status", classes="panel")
            yield Static(id="detail-instance", classes="panel")
            yield Static(id="detail-log-caption", classes="caption")
            yield LogView(id="detail-log-view")
            yield Static(id="detail-latency-caption", classes="caption")
            yield Sparkline([], id="detail-latency")
            yield Static(id="detail-conversation", classes="panel")
            yield Static(id="detail-timeline", classes="panel")
            yield Static(id="detail-actions", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        config = self.context.fleet.config(self.gateway_name)
        record = self.context.instances.record(self.gateway_name) if config and launched(config) else None
        for widget in ("#detail-instance", "#detail-log-view"):
            self.query_one(widget).display = record is not None
        if record is not None:
            self.log_follower = self.context.instances.follower(record)
            self.query_one("#detail-log-caption", Static).update(
                Text(f"log of {record.id}, followed live (its last lines first): / searches it, w saves it")
            )
        else:
            self.query_one("#detail-log-caption", Static).update(Text(LOGS_ELSEWHERE, style="dim"))
        self.refresh_detail()
        self.set_interval(1.0, self.refresh_detail)

    def action_poll_now(self) -> None:
        poller = self.context.fleet.poller
        if poller is not None:
            poller.poll_now(self.gateway_name)
            self.notify(f"polling {self.gateway_name}", timeout=2)

    def action_toggle_raw(self) -> None:
        state = self.context.fleet.states.get(self.gateway_name)
        if state is None or state.error is None:  # the footer offers d: say why it shows nothing
            self.notify(f"no error to show: the last poll of {self.gateway_name} succeeded", timeout=4, markup=False)
            return
        self.show_raw = not self.show_raw
        self.refresh_detail()

    def refresh_detail(self) -> None:
        fleet = self.context.fleet
        state = fleet.states.get(self.gateway_name)
        config = fleet.config(self.gateway_name)
        if state is None or config is None:
            self.query_one("#detail-title", Static).update(Text(f"{self.gateway_name}: no longer in the fleet"))
            return
        now = self.context.clock()
        title = Text()
        title.append(f" {config.name} ", style="bold reverse")
        title.append("  ")
        title.append_text(state_text(state.state))
        title.append(f"  for {describe_duration(now - state.since)}", style="dim")
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#detail-state", Static).update(self._state_panel(config, state, now))
        self.query_one("#detail-status", Static).update(self._status_panel(state))
        latencies = list(state.latencies)
        graph = self.query_one("#detail-latency", Sparkline)
        # No answer, no graph: a graph of nothing draws full-height bars, which read as maximum latency.
        graph.display = bool(latencies)
        graph.data = latencies
        caption = (
            f"latency of the last {len(latencies)} polls: min {min(latencies):.1f} ms, "
            f"max {max(latencies):.1f} ms, last {latencies[-1]:.1f} ms"
            if latencies
            else "latency: no answer yet, so no graph"
        )
        self.query_one("#detail-latency-caption", Static).update(Text(caption))
        self.query_one("#detail-conversation", Static).update(self._conversation_panel(state))
        self.query_one("#detail-timeline", Static).update(self._timeline_panel())
        self.query_one("#detail-actions", Static).update(self._actions_panel())
        self._refresh_instance()

    def _refresh_instance(self) -> None:
        """The instance's record (phases, pid, port) and the lines its log gained since the last look."""
        if self.log_follower is None:
            return
        record = self.context.instances.record(self.gateway_name)
        if record is not None:
            self.query_one("#detail-instance", Static).update(self._instance_panel(record))
        lines = self.log_follower.new_lines()
        if lines:
            self.query_one(LogView).add(lines)

    def action_log_search(self) -> None:
        if self.log_follower is None:
            self.notify(LOGS_ELSEWHERE, title="no log here", timeout=8, markup=False)
        else:
            self.query_one(LogView).search()

    def action_log_save(self) -> None:
        if self.log_follower is None:
            self.notify(LOGS_ELSEWHERE, title="no log here", timeout=8, markup=False)
            return
        said = self.query_one(LogView).save(Path.cwd(), self.gateway_name.replace("/", "_"), self.context.clock())
        self.notify(said, title="log", timeout=8, markup=False)

    def _instance_panel(self, record: InstanceRecord) -> Text:
        text = Text()
        text.append("Instance\n", style="bold")
        field(text, "launcher", f"{record.launcher} ({record.type})")
        field(text, "state", record.state, "bold green" if record.state == "running" else "bold red")
        field(text, "pid", str(record.pid or "-"))
        field(text, "port", str(record.port or "-"))
        field(text, "launched", clock_time(record.created_at))
        if record.failed_phase:
            field(text, "failed", f"{record.failed_phase}: {record.error or ''}", "bold red")
        if (member := self.context.pools.member(record.id)) is not None:  # one of a warm pool's
            field(text, "pool", f"{member.pool}: {member.state} since {clock_time(member.since)}", "bold")
            field(text, "why", gateway_text(member.reason))
        stats = self.context.instances.phase_stats().get(record.launcher, {})
        text.append("\nphase          this      p50      p95  (launcher, n)\n", style="dim")
        for phase in PHASES:
            if phase not in record.phases and phase not in stats:
                continue
            seconds = record.phases.get(phase)
            stat = stats.get(phase)
            text.append(f"{phase:<14}")
            text.append(f"{'-' if seconds is None else f'{seconds:.2f} s':>7}")
            if stat:
                text.append(f"  {stat['p50']:.2f} s  {stat['p95']:.2f} s  ({int(stat['n'])})", style="dim")
            text.append("\n")
        return text

    def _state_panel(self, config: GatewayConfig, state: GatewayState, now: float) -> Text:
        text = Text()
        text.append("Gateway\n", style="bold")
        field(text, "url", config.display_url)
        field(text, "env", config.env)
        field(text, "tags", ", ".join(config.tags) or "-")
        if launched(config):  # generated at its launch, kept in its own openclaw.json (0600), never shown
            field(text, "pool key", "its own, in its directory")
        else:
            field(
                text, "pool key", f"${config.token_env}" if config.token_env else ("inline" if config.token else "none")
            )
        field(text, "from", config.origin)
        if config.note:
            field(text, "note", config.note)
        text.append("\n")
        field(text, "state", state_text(state.state))
        field(text, "reason", state.reason)
        runtime = state.runtime
        if state.health is None:
            field(text, "runtime", "not known yet: its routes are probed at its first poll", "dim")
        else:
            behind = " (behind the pool wrapper)" if runtime.wrapper and runtime.name else ""
            field(text, "runtime", runtime.label + behind)
            # What each route said at the last probe: the verdict's reasons (fleet/health_poll.py).
            for number, reason in enumerate(state.health.reasons):
                field(text, "health" if number == 0 else "", reason, "dim")
        field(text, "since", f"{clock_time(state.since)} ({describe_duration(now - state.since)})")
        field(text, "last answer", clock_time(state.last_success))
        field(text, "failures", str(state.failures), "bold red" if state.failures else "")
        latency = "-" if state.latency_ms is None else f"{state.latency_ms:.1f} ms"
        field(text, "latency", latency)
        return text

    def _status_panel(self, state: GatewayState) -> Text:
        text = Text()
        text.append("Status\n", style="bold")
        status = state.status
        if status is not None:
            field(text, "shape", status.shape)
            field(text, "ready", str(status.ready).lower())
            field(text, "conversation", status.conversation_id or "none")
            field(text, "streaming", "-" if status.streaming is None else str(status.streaming).lower())
            if status.shape == "newer":
                field(text, "pending", str(status.pending).lower())
                field(text, "inbox", status.inbox_id or "-")
                field(text, "clean", "-" if status.clean is None else str(status.clean).lower())
            if status.missing:
                field(text, "missing keys", ", ".join(status.missing), "yellow")
            text.append("\nraw (last answer)\n", style="dim")
            text.append(json.dumps(status.raw, indent=2, ensure_ascii=False)[:4000])
            text.append("\n")
        if state.error is not None:
            text.append("\nLast error\n", style="bold red")
            field(text, "kind", str(state.error.kind))
            field(text, "summary", state.error.summary)
            field(text, "what to do", state.error.hint)
            if self.show_raw:
                text.append("\nfull text (d hides it)\n", style="dim")
                text.append(state.error.detail[:8000])
            elif state.error.detail and state.error.detail != state.error.summary:
                text.append("d shows the full text\n", style="dim")
        return text

    def _conversation_panel(self, state: GatewayState) -> Text:
        text = Text()
        text.append("Conversation and invite\n", style="bold")
        records = self.context.fleet.store.conversations(self.gateway_name, limit=5)
        current = state.conversation_id
        if not records:
            if current:
                text.append(
                    f"{current} was not provisioned from this console: its invite is not known here "
                    "(the gateway never tells it again; ask whoever created it, or its pool manager).",
                    style="dim",
                )
            else:
                text.append("none provisioned from this console", style="dim")
            return text
        for record in records:
            field(
                text, "conversation", record["conversation_id"], "bold" if record["conversation_id"] == current else ""
            )
            field(
                text,
                "how",
                f"{record['origin']}d {clock_time(record['created_at'])}"
                + (f" in {record['elapsed_s']:.1f} s" if record["elapsed_s"] else ""),
            )
            if record["name"]:
                field(text, "name", record["name"])
            if record["invite_url"]:
                revoked = record["invite_revoked_at"]
                field(text, "invite", record["invite_url"], "strike dim" if revoked else "")
                if revoked:
                    field(text, "", f"revoked by a lock at {clock_time(revoked)}", "yellow")
            if record["exploded_at"]:
                field(text, "exploded", clock_time(record["exploded_at"]), "red")
            text.append("\n")
        return text

    def _timeline_panel(self) -> Text:
        text = Text()
        text.append("State timeline\n", style="bold")
        transitions = self.context.fleet.store.transitions(self.gateway_name, limit=15)
        if not transitions:
            text.append("no transitions recorded yet", style="dim")
        for transition in transitions:
            text.append(f"{clock_time(transition.at)}  ", style="dim")
            text.append(f"{transition.old} → ", style="dim")
            text.append(str(transition.new), style=STATE_STYLE[transition.new])
            text.append(f"  {transition.reason}\n")
        return text

    def _actions_panel(self) -> Text:
        text = Text()
        text.append("Recent actions\n", style="bold")
        actions = self.context.fleet.store.audit_log(self.gateway_name, limit=10)
        if not actions:
            text.append("no actions from this console yet", style="dim")
        for action in actions:
            text.append(f"{clock_time(action['at'])}  ", style="dim")
            text.append(f"{action['action']:<8}", style="bold")
            text.append(f" {action['outcome']:<8}", style=outcome_style(action["outcome"]))
            text.append(f" {action['who']}  {action['detail']}\n")
        return text
