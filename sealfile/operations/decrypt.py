"""decrypt: a SOPS file in, the plaintext file (or one extracted value) out."""
from __future__ import annotations

import os
from typing import Sequence

from ..core import payload
from ..core.sopsfile import SopsFile
from ..core.tree import Mapping
from ..core.treepath import PathComponent, get_path, parse_path
from ..errors import SealfileError
from ..settings import Settings
from .files import named, read_input, resolve_types, write_result

__all__ = ["decrypt", "decrypt_path", "open_decrypted"]


def open_decrypted(data: bytes, settings: Settings, *, input_type: str, ignore_mac: bool = False,
                   keep_iv: bool = True, path: str | None = None, layout: bool = False) -> SopsFile:
    """Parse, unlock and decrypt; the result can be changed and written back with the same key.

    ``keep_iv`` remembers a binary payload's IV so that writing it back
    unchanged keeps its ciphertext (it costs a hash of the payload).
    ``layout``: it will be written back keeping its layout (see :meth:`SopsFile.load`).
    """
    sf = SopsFile.load(data, settings.store(input_type), path=path, whole_payload=True, layout=layout)
    sf.unlock(settings.keys, settings.decryption_order)
    sf.decrypt(verify_mac=not ignore_mac, keep_iv=keep_iv)
    return sf


def decrypt(data: bytes, settings: Settings, *, input_type: str, output_type: str | None = None,
            extract: str | Sequence[PathComponent] | None = None, ignore_mac: bool = False) -> bytes:
    """Decrypt an encrypted file's bytes; return the plaintext file, or the value at ``extract``.

    An extracted string is returned raw; anything else in the output format.
    """
    in_store = settings.store(input_type)
    regions = in_store.regions(data, True) if extract is None and (output_type or input_type) == input_type else None
    if regions is not None:
        from .regions import decrypt_in_regions

        out = decrypt_in_regions(regions, in_store, settings.keys, settings.decryption_order,
                                 verify_mac=not ignore_mac)
        if out is not None:
            return out
    sf = open_decrypted(data, settings, input_type=input_type, ignore_mac=ignore_mac, keep_iv=False)
    out_store = settings.store(output_type or input_type)
    path = None if extract is None else parse_path(extract) if isinstance(extract, str) else list(extract)
    whole = sf.payload_bytes
    if whole is not None and (path == [payload.KEY] or (path is None and out_store.opaque)):
        return whole  # what the binary store (or extracting the string) writes, without copies
    del whole
    if path is not None:
        node = get_path(sf.docs[0] if sf.docs else Mapping(), path)
        if isinstance(node, str):
            return node.encode("utf-8", "surrogateescape")
        return out_store.dump_value(node)
    return out_store.dump_plain(sf.docs)


def decrypt_path(path: str | os.PathLike[str], settings: Settings, *, in_place: bool = False,
                 output: str | None = None, input_type: str | None = None, output_type: str | None = None,
                 filename_override: str | None = None, extract: str | Sequence[PathComponent] | None = None,
                 ignore_mac: bool = False) -> bytes:
    """Decrypt a file (``-``: standard input); write it in place or to ``output`` (mode 0600) when asked."""
    p = os.fspath(path)
    fmt_in, fmt_out = resolve_types(p, input_type, output_type, filename_override)
    try:
        out = decrypt(read_input(p), settings, input_type=fmt_in, output_type=fmt_out, extract=extract,
                      ignore_mac=ignore_mac)
    except SealfileError as exc:
        raise exc.with_path(named(p))
    write_result(out, p, in_place=in_place, output=output, new_file_mode=0o600)
    return out
