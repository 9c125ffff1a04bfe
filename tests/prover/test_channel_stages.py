"""The prover's side of staged channel reads (prover/channel_stages.py), without L1: the batches it
frames in a channel's output are node's `read_channel` batches (plus the one a cut-short channel
ends inside, which the stages frame and do not count), the output it decodes stops where node's
decoder refuses, and the segments it shows cover a batch exactly."""

from __future__ import annotations

import random

import pytest
import rlp

from node import fastlz
from node.channels import FASTLZ_CHANNEL_PREFIX, read_channel
from prover.channel_stages import SEGMENT_BYTES, channel_output, framed_items, needs_stages, segments_for


def channel_of(content: bytes) -> bytes:
    return bytes([FASTLZ_CHANNEL_PREFIX]) + fastlz.compress(content)


def random_batches(rng: random.Random) -> list[bytes]:
    shapes = [lambda: rng.randbytes(rng.randrange(0, 300)), lambda: bytes([rng.randrange(0x80)]),
              lambda: b"\x00" * rng.randrange(56, 20_000), lambda: b""]
    return [rng.choice(shapes)() for _ in range(rng.randrange(1, 60))]


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("tail", [b"", b"\xc2\x01\x02", b"\x81\x05", b"\xb9\x01", b"\xb9\x01\x00" + b"x" * 10])
def test_framed_batches_are_node_batches(seed: int, tail: bytes) -> None:
    """Random batches, then nothing, an RLP list, a non-canonical string, a header cut by the end,
    or a batch cut short: the framed bounds give node's batches, and the cut batch is the one extra."""
    rng = random.Random(seed)
    content = b"".join(rlp.encode(b) for b in random_batches(rng)) + tail
    channel = channel_of(content)
    output = channel_output(channel)
    assert output == content
    batches = read_channel(channel).batches
    items = framed_items(output)
    cut = tail.startswith(b"\xb9\x01\x00")
    assert len(items) == len(batches) + (1 if cut else 0)
    assert [output[start:end] for start, end in items[:len(batches)]] == list(batches)
    for (start, end), batch in zip(items, batches):
        segments = segments_for(output, start, end)
        first = start // SEGMENT_BYTES
        assert b"".join(segments)[start - first * SEGMENT_BYTES:end - first * SEGMENT_BYTES] == batch


def test_the_output_stops_where_node_refuses() -> None:
    content = rlp.encode(b"a" * 1_000)
    good = channel_of(content)
    assert channel_output(good + b"\x1f\x00") == content  # a literal run missing its bytes: node refuses there
    assert read_channel(good + b"\x1f\x00").batches == ()
    assert channel_output(bytes([0x05]) + good[1:]) == b""  # another compression: nothing decoded
    assert not needs_stages(good)
    assert needs_stages(channel_of(rlp.encode(b"\x00" * 2_000_000)))
