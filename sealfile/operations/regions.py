"""decrypt and encrypt of a large file a region at a time, so its whole tree never exists.

A store that can cut a file (``Store.regions``; YAML does for large single
documents) hands over its top-level entries a region at a time.  Decrypting,
each region is decrypted and its MAC contribution hashed just before the
emitter writes it; encrypting, each region is encrypted, hashed and spliced
into its own text, and the last one gets the metadata once the MAC is known.
The output is the same bytes the whole-file path gives (tested on a corpus in
``tests/formats/test_yaml_regions.py``).

When a store declines part-way, nothing has been written and the caller reads
the file whole: that path also reports every error, in the order sops would.
Key services are only asked once the regions have been read, except for the
data key of an encrypted file, which must be unlocked before its values.
"""
from __future__ import annotations

from itertools import chain
from typing import Any, Callable, Iterator, Sequence

from ..core.metadata import Metadata
from ..core.selectors import Selector
from ..core.sopsfile import SopsFile
from ..core.tree import Mapping
from ..errors import RegionsDeclined, SealfileError
from ..keys import KeyContext, MasterKey

__all__ = ["decrypt_in_regions", "encrypt_in_regions"]


def decrypt_in_regions(regions: Any, store: Any, keys: KeyContext, order: Sequence[str] | None, *,
                       verify_mac: bool) -> bytes | None:
    """The plaintext file (in ``store``'s format), or None when it must be decrypted whole.

    Any failure returns None too: the whole-file path then reports it (a parse
    error further down the file wins over a bad value before it, as in sops).
    """
    try:
        sf = SopsFile(store, [], Metadata.from_tree(regions.metadata()))
        sf.unlock(keys, order)
        hasher = sf.mac_hasher()

        def decrypted() -> Iterator[list[Mapping]]:
            for docs in regions:
                sf.decrypt_part(docs, hasher)
                yield docs

        out = regions.dump_plain(decrypted())
        if verify_mac:
            sf.check_mac(hasher.hexdigest())
        return out
    except (RegionsDeclined, SealfileError):
        return None


def encrypt_in_regions(regions: Any, store: Any, *, selector: Callable[[], Selector], mac_only_encrypted: bool,
                       layout: str, groups: Callable[[], Sequence[Sequence[MasterKey]]], threshold: int,
                       keys: KeyContext) -> bytes | None:
    """The encrypted file, or None when it must be encrypted whole.

    ``selector`` and ``groups`` are asked for once every region has been read
    (the whole-file path reports a parse error before a configuration error);
    any failure up to then returns None, and nothing was asked of a key
    service.  The data key is wrapped after every value is encrypted, as the
    whole-file path does.
    """
    writer = regions.writer()
    last: list[Mapping] | None = None
    try:
        parts = iter(regions)
        first = next(parts)
        sf = SopsFile.create(store, None, selector=selector(), mac_only_encrypted=mac_only_encrypted, layout=layout)
        hasher = sf.mac_hasher()
        for docs in chain((first,), parts):
            if last is not None:
                writer.add(last)
            sf.encrypt_part(docs, hasher)
            last = docs
        wrap_for = groups()
    except (RegionsDeclined, SealfileError, StopIteration):
        return None
    sf.seal(hasher.hexdigest())
    sf.rewrap(wrap_for, threshold, keys)
    try:
        return writer.finish(last, sf.metadata.to_tree(for_json=store.json_metadata))
    except RegionsDeclined:
        return None
