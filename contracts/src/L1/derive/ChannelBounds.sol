// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The channel and channel-bank bounds on L1, in one place (node: node/channels.py and
// node/derive/channel_bank.py; why these values: docs/batches.md, "What one derivation step reads").

/// @dev A channel's decompressed bytes at most (node/channels.py `MAX_RLP_BYTES_PER_CHANNEL`): what one
///      derivation step decodes and judges (`DerivationStep`), and what `InputOracle` reads a found
///      batch's channel to.
uint256 constant MAX_RLP_BYTES_PER_CHANNEL = 64_000;

/// @dev A channel's compressed bytes at most (node/channels.py `MAX_CHANNEL_BYTES`): a longer channel
///      gives no batch, decided from its frames' lengths (the derivation state's), so its data is
///      never shown.
uint256 constant MAX_CHANNEL_BYTES = 66_048;

/// @dev A channel's batches that count (node/channels.py `MAX_BATCHES_PER_CHANNEL`; `BatchReader.readChannel`).
uint256 constant MAX_BATCHES_PER_CHANNEL = 64;

/// @dev The channel bank's bytes at most and its accounting of a frame (node/derive/channel_bank.py
///      `MAX_CHANNEL_BANK_SIZE`, `FRAME_ACCOUNTING_OVERHEAD`: OP's).
uint256 constant MAX_CHANNEL_BANK_SIZE = 100_000_000;
uint256 constant FRAME_ACCOUNTING_OVERHEAD = 200;

/// @dev The frames the channel bank holds at most (channel_bank.py `MAX_CHANNEL_BANK_FRAMES`).
uint256 constant MAX_CHANNEL_BANK_FRAMES = 64;
