"""Decide every block of a long random chain on L1 and compare with node's derivation
(tests/e2e/test_input_oracle.py, `test_inputs_of_a_sequencers_blocks_decided_on_l1`): a real
sequencer on a real anvil runs idle stretches, bursts of up to 40 transfers and HKD deposits until
the chain has N blocks; then every block's transactions and timestamp, with the batch that carries
it, must be accepted by `InputOracle` exactly as node derived them, and the lies of the test refuted.
`python scripts/input_oracle_differential.py --blocks 300 --seed 1`. CI runs the short chain."""

from __future__ import annotations

import sys

from differential_campaign import CampaignOption, run_campaign

OPTIONS = (
    CampaignOption("blocks", "INPUT_ORACLE_BLOCKS", 300, "L2 blocks of the chain"),
    CampaignOption("seed", "INPUT_ORACLE_SEED", 15, "random seed of the workload"),
)

if __name__ == "__main__":
    sys.exit(run_campaign(__doc__, "tests/e2e/test_input_oracle.py", "sequencers", OPTIONS))
