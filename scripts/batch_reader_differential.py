"""Run the BatchReader-vs-node differential (tests/contracts/test_batch_reader.py) with any number
of random channels: `python scripts/batch_reader_differential.py --cases 2000 --seed 1`. CI runs
12 (the test's default); each case is a FastLZ channel of 1-2 random span batches of up to 12
blocks and up to 40 transactions a block, of every batchable kind, read on L1 and by node; and the
same channel broken 3 ways (a batch cut mid-way, trailing garbage or an RLP list, non-canonical
RLP, the compressed stream cut or changed, an unknown compression byte, a size limit below the
stream's, an empty stream): `BatchReader.readChannel` keeps exactly the batches node's
`read_channel` keeps and stops for the same reason."""

from __future__ import annotations

import sys

from differential_campaign import CampaignOption, run_campaign

OPTIONS = (
    CampaignOption("cases", "BATCH_READER_CASES", 500, "random channels"),
    CampaignOption("seed", "BATCH_READER_SEED", 15, "random seed (15 is CI's)"),
)

if __name__ == "__main__":
    sys.exit(run_campaign(__doc__, "tests/contracts/test_batch_reader.py", "random_channels", OPTIONS))
