"""Wrapping the data key for every recipient, and getting it back.

With one key group each key wraps the data key itself; with several, group i
wraps Shamir share i.  Recovery tries the keys of each group in decryption
order and explains, per group and per key, why it failed.
"""
from __future__ import annotations

from typing import Sequence

from . import shamir
from .cipher import DataKey
from ..errors import MasterKeyError, NoKeyCouldDecrypt, SealfileError, ShamirError, WrapError
from ..keys import DEFAULT_DECRYPTION_ORDER, KeyContext, KeyEntry, MasterKey, key_type, now_rfc3339


def wrap_data_key(groups: Sequence[Sequence[MasterKey]], data_key: DataKey, threshold: int,
                  ctx: KeyContext) -> list[list[KeyEntry]]:
    """Wrap the key (or its shares) for every key of every group; any failure aborts."""
    if not groups:
        raise WrapError("no key groups to encrypt the data key for")
    if len(groups) == 1:
        secrets = [data_key.raw]
    else:
        t = threshold or len(groups)
        try:
            secrets = shamir.split(data_key.raw, len(groups), t)
        except ShamirError as exc:
            raise WrapError(f"Could not generate data key: {exc.message}") from None
    errors: list[str] = []
    out: list[list[KeyEntry]] = []
    for group, secret in zip(groups, secrets):
        if not group:
            errors.append("empty key group provided")
            continue
        entries = []
        for key in group:
            try:
                wrapped = key.wrap(secret, ctx)
            except MasterKeyError as exc:
                errors.append(f"{key.to_string()}: {exc.message}")
                continue
            recorded, enc = wrapped if isinstance(wrapped, tuple) else (key, wrapped)
            entries.append(KeyEntry(recorded, enc, now_rfc3339() if key_type(key.type_name).records_created_at
                                    else None))
        out.append(entries)
    if errors:
        raise WrapError("Could not generate data key: " + "; ".join(errors))
    return out


def _ordered(group: list[KeyEntry], order: Sequence[str]) -> list[KeyEntry]:
    rank = {name: i for i, name in enumerate(order)}
    return sorted(group, key=lambda e: rank.get(e.key.type_name, len(rank)))


def recover_data_key(groups: list[list[KeyEntry]], threshold: int, ctx: KeyContext,
                     order: Sequence[str] | None = DEFAULT_DECRYPTION_ORDER) -> DataKey:
    """Unwrap enough of ``groups`` to rebuild the data key, or raise NoKeyCouldDecrypt."""
    recovered: list[bytes] = []
    report: list[tuple[int, bool, list[tuple[str, str]]]] = []
    for index, group in enumerate(groups):
        failures: list[tuple[str, str]] = []
        found = None
        for entry in _ordered(group, order) if order is not None else group:
            try:
                found = entry.key.unwrap(entry.enc, ctx)
                break
            except MasterKeyError as exc:
                failures.append((entry.key.to_string(), exc.message))
            except SealfileError as exc:  # e.g. a missing optional SDK
                failures.append((entry.key.to_string(), exc.message))
        report.append((index, found is not None, failures))
        if found is not None:
            recovered.append(found)
            if len(groups) > 1 and threshold >= 2 and len(recovered) >= threshold:
                break  # enough shares: later groups (maybe slow cloud keys) are not needed
    if len(groups) == 1:
        if recovered and len(recovered[0]) == 32:
            return DataKey(recovered[0])
        raise NoKeyCouldDecrypt("failed to get the data key required to decrypt the file: "
                                "no master key was able to decrypt it", _report(report, None))
    need = max(threshold, 2) if threshold else len(groups)
    if len(recovered) < need or len(recovered) < 2:
        raise NoKeyCouldDecrypt(
            f"failed to get the data key required to decrypt the file: {len(recovered)} of "
            f"{len(groups)} key groups decrypted, {need} needed", _report(report, need))
    try:
        raw = shamir.combine(recovered)
    except shamir.ShamirError as exc:
        raise NoKeyCouldDecrypt(f"failed to rebuild the data key: {exc.message}", _report(report, need)) from None
    if len(raw) != 32:
        raise NoKeyCouldDecrypt("failed to rebuild the data key: shares have the wrong length",
                                _report(report, need))
    return DataKey(raw)


def _report(groups: list[tuple[int, bool, list[tuple[str, str]]]], threshold: int | None) -> str:
    import textwrap  # only when reporting a failure

    lines: list[str] = []
    for index, ok, failures in groups:
        lines.append(f"Group {index}: {'SUCCESS' if ok else 'FAILED'}")
        for name, reason in failures if not ok else []:
            lines.append(f"  {name}: FAILED")
            wrapped = textwrap.wrap(reason, 70, break_long_words=False, break_on_hyphens=False) or [""]
            lines.append(f"    - | {wrapped[0]}")
            lines.extend(f"      | {w}" for w in wrapped[1:])
    lines.append("")
    if threshold is None:
        lines.append("Recovery failed because no master key was able to decrypt the file. In order "
                     "for sealfile to recover the file, at least one key has to be successful, but "
                     "none were.")
    else:
        lines.append(f"Recovery failed because the file was encrypted with a Shamir threshold of "
                     f"{threshold}, but fewer than {threshold} key groups could be decrypted.")
    return "\n".join(lines)
