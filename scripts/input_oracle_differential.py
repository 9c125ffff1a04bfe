"""Decide every block of a long random chain on L1 and compare with node's derivation
(tests/e2e/test_input_campaign.py, `test_input_oracle_campaign`): a real sequencer on a real anvil
runs idle stretches, bursts of up to 40 transfers, HKD deposits, stops of the sequencer (forced
deposit-only blocks), L1 reorgs (batches and deposits in the reorged blocks, posted again after)
and invalid batcher data (garbage, channels that time out, undecodable, wrong-parent and
out-of-window batches, duplicates) until the chain has N blocks; then every block, with the batch
node's derivation end state names, must be accepted by `InputOracle` exactly as node derived it,
and `DerivationStep` must give node's commitment for every L1 block of every block's range.
`python scripts/input_oracle_differential.py --blocks 300 --seed 7 --batcher-blobs 40`. CI runs a short chain
(`test_every_block_decided_on_l1_through_reorgs_and_invalid_batches`)."""

from __future__ import annotations

import sys

from differential_campaign import CampaignOption, run_campaign

OPTIONS = (
    CampaignOption("blocks", "INPUT_ORACLE_BLOCKS", 300, "L2 blocks of the chain"),
    CampaignOption("seed", "INPUT_ORACLE_SEED", 7, "random seed of the workload"),
    CampaignOption("batcher-blobs", "INPUT_ORACLE_BLOBS", 0,
                   "percent of the chain's blocks batched in EIP-4844 blobs: the last ones, the sequencer "
                   "restarted with --batcher-blobs there (100: from the start)"),
)

if __name__ == "__main__":
    sys.exit(run_campaign(__doc__, "tests/e2e/test_input_campaign.py", "test_input_oracle_campaign", OPTIONS))
