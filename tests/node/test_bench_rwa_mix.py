"""bench/rwa_mix.py's set-up and mix run with small blocks (`--rwa-block-size` below 60 used to
stop the bench: the set-up put several 20M-gas batch mints in one block of a 30M gas limit, and
py-evm refused the second)."""

from __future__ import annotations

from bench.rwa_mix import ASSETS, _decode, mix_kinds, parse_mix, prepared_chain


def test_set_up_and_mix_fit_blocks_of_twenty() -> None:
    with prepared_chain(block_size=20, seed=852) as (bench, workloads):
        gas_limit = bench.genesis.gas_limit
        set_up_blocks = bench.chain.head.block_number
        # Four set-up steps, the mints' step split over more blocks, each within the gas limit
        # (`Bench.build` stops the bench on any rejected or failed transaction).
        assert set_up_blocks > 4
        for number in range(1, set_up_blocks + 1):
            assert 0 < bench.chain.header_by_number(number).gas_used <= gas_limit
        assert len(workloads.assets) == len(ASSETS)
        kinds = mix_kinds(parse_mix("transfer=60,dvp=25,price=15"), 40, workloads.rng)
        blocks = workloads.blocks(kinds, 20, bench.chain.head.timestamp + 1)
        assert [len(block) for block in blocks] == [20, 20]
        for block in blocks:
            built = bench.build(_decode(block))
            assert len(built.receipts) == 20 and all(c.is_success for c in built.computations)
