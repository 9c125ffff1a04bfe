"""What the tests share, in one place: the real processes they run on and the handles to drive them.

- `anvil.py`: the one anvil fixture (`anvil`, one per test module, its options from the
  `anvil_options` fixture a module may override) and `anvil_snapshot` (revert after a test);
- `devnet.py`: the one L1 devnet (anvil + Lantau's L1 contracts, `bridge.devnet`) as a context
  manager and as the `l1` fixture of the end-to-end tests;
- `evm.py`: `DevSender`, an EVM (anvil) driven as the dev accounts of the test mnemonic, and
  `Contracts`, the contract tests' handle on it;
- `l1_history.py`: an in-memory L1 (`L1Source`) for the pure derivation and sequencer tests;
- `node_process.py`: `lantau node` as a subprocess (`LantauNodeProcess`) and the `node_factory`
  fixture of the end-to-end tests.

Every process a fixture starts is stopped when the fixture ends, whether the test passed or not.
"""
