"""The simulated `convos` CLI as the plugin sees it: the argv it runs and the error text it gets back.

The plugin shells out with Node's execFile, so a failing command comes back as
`Command failed: <node> <convos-cli>/bin/run.js <argv…> --json --env <env>\n<stderr>`, where stderr is
oclif's pretty-printed error (` ›   Error: …`, wrapped at 74 columns) followed by the command's usage text.
The paths are the placeholders the real-gateway transcript uses.
"""

from __future__ import annotations

from importlib import resources

from .jsjson import string_width

__all__ = [
    "DNS_ERROR",
    "command_failed",
    "create_argv",
    "explode_argv",
    "join_argv",
    "lock_argv",
    "oclif_error_block",
    "send_argv",
    "update_profile_argv",
]

COMMAND_PREFIX = "<node> <convos-cli>/bin/run.js"


def _read_usage(text: str) -> dict[str, str]:
    """cli_usage.txt's sections: `## conversations create` and the lines below it, up to the next heading."""
    sections = text.split("\n## ")[1:]
    return {command: body.rstrip("\n") + "\n\n" for command, _, body in (s.partition("\n") for s in sections)}


# The `USAGE` text the CLI prints after an error, per command (each ends with the blank line it prints last).
USAGE = _read_usage(resources.files(__package__).joinpath("cli_usage.txt").read_text(encoding="utf-8"))

# What every network-touching command prints when XMTP cannot be resolved (observed, transcript).
DNS_ERROR = (
    '[ApiError::Api] api client error api client at endpoint "/xmtp.identity.api.v1.IdentityApi/GetInboxIds" '
    "has error code: 'The service is currently unavailable', message: \"dns error\", source: "
    'tonic::transport::Error(Transport, ConnectError(ConnectError("dns error", Custom { kind: Uncategorized, '
    'error: "failed to lookup address information: Name or service not known" })))'
)

# oclif wraps errors to the terminal width (80 without a TTY) minus 6.
_WRAP_COLUMNS = 74


def create_argv(
    *,
    name: str | None,
    profile_name: str | None,
    description: str | None = None,
    image_url: str | None = None,
    permissions: str | None = None,
) -> list[str]:
    """ConvosInstance.create: empty values are left out (the plugin tests them for truthiness)."""
    argv = ["conversations", "create"]
    for flag, value in (
        ("--name", name),
        ("--profile-name", profile_name),
        ("--description", description),
        ("--image-url", image_url),
        ("--permissions", permissions),
    ):
        if value:
            argv += [flag, value]
    return argv


def join_argv(invite: str, *, profile_name: str | None, timeout: int = 60) -> list[str]:
    argv = ["conversations", "join", invite]
    if profile_name:
        argv += ["--profile-name", profile_name]
    return argv + ["--timeout", str(timeout)]


def send_argv(conversation_id: str, text: str) -> list[str]:
    return ["conversation", "send-text", conversation_id, "--text", text]


def update_profile_argv(conversation_id: str, name: str) -> list[str]:
    return ["conversation", "update-profile", conversation_id, "--name", name]


def lock_argv(conversation_id: str, *, unlock: bool) -> list[str]:
    return ["conversation", "lock", conversation_id, *(["--unlock"] if unlock else []), "--force"]


def explode_argv(conversation_id: str) -> list[str]:
    return ["conversation", "explode", conversation_id, "--force"]


def _wrap_line(line: str, columns: int) -> list[str]:
    """wrap-ansi(line, columns, {hard: true, trim: false}) for one line without ANSI codes."""
    rows = [""]
    for index, word in enumerate(line.split(" ")):
        row_width = string_width(rows[-1])
        if index:
            if row_width >= columns:
                rows.append("")
                row_width = 0
            rows[-1] += " "
            row_width += 1
        word_width = string_width(word)
        if word_width > columns:
            # Hard wrap: a word longer than a row is cut into row-sized pieces.
            remaining = columns - row_width
            breaks_this_line = 1 + (word_width - remaining - 1) // columns
            breaks_next_line = (word_width - 1) // columns
            if breaks_next_line < breaks_this_line:
                rows.append("")
            for ch in word:
                if string_width(rows[-1]) + string_width(ch) > columns:
                    rows.append("")
                rows[-1] += ch
            continue
        if row_width + word_width > columns and row_width > 0 and word_width > 0:
            rows.append("")
        rows[-1] += word
    return rows


def oclif_error_block(message: str) -> str:
    """oclif's prettyPrint of `Error: <message>`: wrapped, each line prefixed with ` ›   `."""
    lines: list[str] = []
    for line in f"Error: {message}".replace("\r\n", "\n").split("\n"):
        lines.extend(_wrap_line(line, _WRAP_COLUMNS))
    return "\n".join(f" ›   {line}" if line else " ›" for line in lines)


def command_failed(argv: list[str], env: str, message: str) -> str:
    """The `error` string of the plugin's 500 when `convos <argv…>` exits non-zero with `message`."""
    command = " ".join([COMMAND_PREFIX, *argv, "--json", "--env", env])
    usage = USAGE.get(" ".join(argv[:2]), "")
    return f"Command failed: {command}\n{oclif_error_block(message)}\n\n{usage}"
