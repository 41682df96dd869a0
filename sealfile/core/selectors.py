"""Which values get encrypted: sops's six mutually exclusive selectors.

The selector in force is recorded in the file's metadata, and the metadata,
not the config, decides how the file is decrypted and re-encrypted later.
"""
from __future__ import annotations

import re
from ..records import record
from typing import Mapping as TMapping

from ..errors import ConfigError

KINDS = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)
DEFAULT_SUFFIX = "_unencrypted"
# RE2 has neither back-references nor look-around; refuse them so a pattern
# means the same to sops and to sealfile.  (Compiled on first use, through ``re``'s cache.)
_NOT_RE2 = r"\(\?[=!<]|\\[1-9]|\(\?P="


@record(frozen=True)
class Selector:
    """One selector; ``kind`` is one of :data:`KINDS`."""

    kind: str = "unencrypted_suffix"
    value: str = DEFAULT_SUFFIX

    @property
    def is_regex(self) -> bool:
        return self.kind.endswith("_regex")

    @property
    def on_comments(self) -> bool:
        return self.kind.endswith("comment_regex")

    @property
    def encrypts_by_default(self) -> bool:
        """True for the ``unencrypted_*`` kinds: everything is encrypted unless matched."""
        return self.kind.startswith("unencrypted_")

    def compiled(self) -> re.Pattern[str]:
        return compile_re2(self.value, self.kind)


def compile_re2(pattern: str, what: str) -> re.Pattern[str]:
    if re.search(_NOT_RE2, pattern):
        raise ConfigError(f"can not compile regexp for {what}: back-references and look-around are not RE2")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"can not compile regexp for {what}: {exc}") from None


def pick(options: TMapping[str, object], *, where: str) -> Selector | None:
    """The single selector set in ``options`` (empty values ignored), or None.

    More than one is an error, as in sops ("cannot use more than one of ...").
    """
    found = [(k, options[k]) for k in KINDS if options.get(k) not in (None, "")]
    if len(found) > 1:
        names = ", ".join(k for k, _ in found)
        raise ConfigError(f"{where}: cannot use more than one of {names}")
    if not found:
        return None
    kind, value = found[0]
    sel = Selector(kind, str(value))
    if sel.is_regex:
        sel.compiled()
    return sel
