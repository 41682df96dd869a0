"""The YAML emitter writes a large document as the builder makes its events, a batch at a time,
and writes a plain ``key: value`` line in one step.

Events are dropped once written and the written text is encoded in batches
(a 50 MB file's events and text pieces never all exist at once).  The
batching must not change a byte: every YAML file of the test vectors, and
generated deep and wide trees with comments, emit the same with batches of
one event and one piece as with the defaults.  Likewise the one-step
``key: value`` (``_Emitter._plain_pair``) must write exactly what the state
machine writes for that pair, so the same inputs emit the same with it
turned off.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from sealfile.core.tree import Comment, Mapping
from sealfile.stores.yaml import emitter, encoder
from sealfile.stores.yaml.reader import PLAIN, read_documents

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "vectors"
YAML_FILES = sorted(p for p in VECTORS.rglob("*.yaml"))


def _tree(rnd: random.Random, depth: int) -> Mapping:
    items: list = []
    for i in range(rnd.randint(0, 12)):
        if rnd.random() < 0.2:
            items.append([Comment(f" note {i}"), None])
        roll = rnd.random()
        if depth and roll < 0.25:
            value = _tree(rnd, depth - 1)
        elif depth and roll < 0.4:
            value = [Comment(" item") if rnd.random() < 0.2 else rnd.choice(["a", 1, None, 2.5, "x: y"])
                     for _ in range(rnd.randint(0, 5))]
        else:
            value = rnd.choice(["plain", "two words", "yes", "", "multi\nline", "#hash", 7, -1.5, True, None,
                                " lead", "trail ", "a: b", "x#y", "-", "- x", "'q'", "\u00e9t\u00e9", "k" * 140])
        key = rnd.choice([f"key{i}", f"key {i}", f"k{i}:", "k" * 130 + str(i), f"<<{i}", f"-{i}", f"#{i}"])
        items.append([key, value])
    return Mapping(items)


def _emit_both(docs: list[Mapping], monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    """(the emitter as it is, the emitter in tiny batches and without the one-step pair), for two indents."""
    normal = b"".join(emitter.emit_documents(docs, indent) for indent in (4, 2))
    with monkeypatch.context() as m:
        m.setattr(encoder, "BATCH", 1)
        m.setattr(emitter, "_OUT_BATCH", 1)
        m.setattr(emitter._Emitter, "_plain_pair", lambda self, key, value: False)
        reference = b"".join(emitter.emit_documents(docs, indent) for indent in (4, 2))
    return normal, reference


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_vector_files_emit_the_same_in_tiny_batches_and_step_by_step(path, monkeypatch):
    docs = read_documents(path.read_text(), PLAIN)
    normal, tiny = _emit_both(docs, monkeypatch)
    assert normal == tiny and normal


def test_generated_trees_emit_the_same_in_tiny_batches_and_step_by_step(monkeypatch):
    rnd = random.Random(7)
    for _ in range(200):
        docs = [_tree(rnd, 4) for _ in range(rnd.randint(1, 2))]
        normal, tiny = _emit_both(docs, monkeypatch)
        assert normal == tiny


def test_a_wide_mapping_is_emitted_in_batches(monkeypatch):
    """A flat mapping far larger than a batch: the builder pauses inside it, and the output is whole."""
    doc = Mapping([[f"k{i}", f"v{i}"] for i in range(3 * encoder.BATCH)])
    seen: list[int] = []
    real = emitter._Emitter.run

    def spy(self):
        steps = self.more

        def counted():
            for step in steps:
                seen.append(len(self.events))
                yield step

        self.more = counted()
        return real(self)

    monkeypatch.setattr(emitter._Emitter, "run", spy)
    out = emitter.emit_documents([doc], 4)
    assert out.count(b"\n") == 3 * encoder.BATCH and out.startswith(b"k0: v0\n")
    assert len(seen) >= 3 and max(seen) <= encoder.BATCH + 8  # never the whole document's events
