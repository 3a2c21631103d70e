"""RPC URLs cut to their scheme and host wherever the tools show them: a network choice such as
`ethereum:mainnet:https://user:pass@node.example/v3/KEY?apikey=...` carries credentials and keys,
and it is shown in pages, client reports (PDF footers), CLI errors and logs. Every one of those
goes through `redact_urls`: what was cut shows as `/…`."""

from __future__ import annotations

import logging
import re

_URL = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^\s/?#@'\"]*@)?([^\s/?#'\"]+)([^\s'\"]*)", re.I)
_URL_PATH = re.compile(r"(with url: )\S+")  # requests' "Max retries exceeded with url: /v3/KEY"


def redact_urls(text: str) -> str:
    """`text` with every URL cut to its scheme and host: an RPC URL's credentials
    (`user:pass@`) and key (`/v3/KEY`, `?apikey=`) are never shown (a network choice, or an
    error that quotes its URL). What was cut shows as `/…`."""

    def cut(found: re.Match[str]) -> str:
        scheme, userinfo, host, rest = found.groups()
        return f"{scheme}{host}" + ("/…" if userinfo or rest.strip("/") else "")

    return _URL_PATH.sub(r"\1…", _URL.sub(cut, str(text)))


class RedactingFilter(logging.Filter):
    """A handler filter: the record's message and traceback with their URLs cut (redact_urls)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_urls(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_urls(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_urls(record.stack_info)
        return True


def redact_logs(*names: str) -> None:
    """Adds a RedactingFilter to every handler of the root logger and of the loggers `names`
    (once each): call it after whatever configures them (uvicorn configures its own)."""
    for name in ("", *names):
        for handler in logging.getLogger(name or None).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
