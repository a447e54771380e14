"""What a config file holds once read: the settings, the gateways, the profiles and the discovery sources, as
plain frozen values (inventory.py reads and checks the file into them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from convos_tui.api.endpoint import Endpoint, Timeouts, display_url
from convos_tui.fleet.alert_rules import AlertRule
from convos_tui.fleet.config_values import Problem
from convos_tui.fleet.launchers import LauncherConfig
from convos_tui.fleet.pools_config import PoolConfig
from convos_tui.fleet.view_settings import SavedView

ENVS = ("dev", "production")
CLIPBOARD_MODES = ("auto", "osc52", "system", "off")
SOURCE_TYPES = ("file", "pool")
SETTING_KEYS = (
    "refresh",
    "poll_concurrency",
    "streaming_grace",
    "read_only",
    "theme",
    "clipboard",
    "timeouts",
    "keymap",
    "profiles",
    "gateways",
    "sources",
    "launchers",
    "metric_labels",
    "pools",
    "alerts",
    "columns",
    "views",
    "mouse",
)
GATEWAY_KEYS = ("name", "url", "env", "tags", "note", "token_env", "token", "tls_verify", "timeouts", "runtime")
# `runtime`: "auto" finds out from the routes; "railway-template" polls the template's GET /pool/status.
RUNTIME_CHOICES = ("auto", "railway-template")
PROFILE_KEYS = ("gateways", "tags", "columns")
SOURCE_KEYS = ("type", "path", "url", "token_env", "gateway_token_env", "env", "tags", "tls_verify")


@dataclass(frozen=True, slots=True)
class Settings:
    refresh: float = 5.0
    poll_concurrency: int = 200
    streaming_grace: float = 30.0
    read_only: bool = False
    theme: str = "textual-dark"
    clipboard: str = "auto"
    timeouts: Timeouts = field(default_factory=Timeouts)
    keymap: dict[str, str] = field(default_factory=dict)
    metric_labels: tuple[str, ...] = ()  # tag prefixes that become Prometheus labels (`region` for region/eu)
    columns: tuple[str, ...] = ()  # the fleet table's, in order; none: the default (fleet/view_settings.py)
    mouse: bool = True  # false: the terminal's own selection works (no clicks, no wheel)


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    name: str
    url: str
    env: str = "production"
    tags: tuple[str, ...] = ()
    note: str = ""
    token_env: str | None = None
    token: str | None = field(default=None, repr=False)  # resolved: from token_env or inline
    tls_verify: bool = True
    timeouts: Timeouts = field(default_factory=Timeouts)
    origin: str = "config"  # config, or the discovery source it came from
    runtime: str = "auto"  # see RUNTIME_CHOICES
    # Derived once, because the console filters and draws thousands of gateways per keystroke.
    display_url: str = field(init=False, repr=False, compare=False, default="")
    search_text: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "display_url", display_url(self.url))
        object.__setattr__(self, "search_text", "\n".join((self.name, self.url, *self.tags)).lower())

    def endpoint(self) -> Endpoint:
        return Endpoint(self.url, token=self.token, verify_tls=self.tls_verify, timeouts=self.timeouts)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    gateways: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # its own fleet table columns; none: the config's

    def selects(self, gateway: GatewayConfig) -> bool:
        return gateway.name in self.gateways or any(tag in gateway.tags for tag in self.tags)


@dataclass(frozen=True, slots=True)
class Source:
    """A discovery source: a text file of URLs, or a pool manager's `GET /api/pool/status`."""

    type: str
    path: Path | None = None
    url: str | None = None
    token: str | None = field(default=None, repr=False)  # the pool manager's key
    gateway_token: str | None = field(default=None, repr=False)  # the discovered gateways' pool key
    env: str = "production"
    tags: tuple[str, ...] = ()
    tls_verify: bool = True
    line: int | None = None

    @property
    def label(self) -> str:
        return f"file {self.path}" if self.type == "file" else f"pool {display_url(self.url or '')}"


class _SourceCommon(TypedDict):
    """The fields of a Source that every type of source reads the same way."""

    env: str
    tags: tuple[str, ...]
    tls_verify: bool
    gateway_token: str | None
    line: int | None


@dataclass(frozen=True, slots=True)
class Inventory:
    path: Path
    settings: Settings = field(default_factory=Settings)
    gateways: tuple[GatewayConfig, ...] = ()
    profiles: dict[str, Profile] = field(default_factory=dict)
    sources: tuple[Source, ...] = ()
    warnings: tuple[Problem, ...] = ()
    exists: bool = True
    launchers: tuple[LauncherConfig, ...] = ()  # read by convos_tui/fleet/launchers.py
    pools: tuple[PoolConfig, ...] = ()  # [pools.NAME], read by convos_tui/fleet/pools_config.py
    alerts: tuple[AlertRule, ...] = ()  # read by convos_tui/fleet/alert_rules.py
    views: dict[str, SavedView] = field(default_factory=dict)  # [views.NAME], fleet/view_settings.py

    def select(self, profile: str | None) -> list[GatewayConfig]:
        """The static gateways of a profile (all when None). Unknown profiles are refused with the known ones."""
        if profile is None:
            return list(self.gateways)
        return [g for g in self.gateways if self.profile(profile).selects(g)]

    def profile(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none are defined"
            raise KeyError(f"no profile {name!r} in {self.path} (profiles: {known})") from None


# --- loading ----------------------------------------------------------------------------------
