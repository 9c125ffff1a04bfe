// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInputOracle} from "../dispute/IInputOracle.sol";
import {L1BlockAnchors} from "../L1BlockAnchors.sol";
import {L1HeaderLib} from "../lib/L1HeaderLib.sol";
import {OutputRootLib} from "../lib/OutputRootLib.sol";
import {DepositTxLib} from "./DepositTxLib.sol";
import {L2ParentLib} from "./L2ParentLib.sol";
import {BatchReader} from "./BatchReader.sol";
import {MAX_RLP_BYTES_PER_CHANNEL} from "./ChannelBounds.sol";

interface IDepositHashChain {
    function depositHashChain(uint256 l1BlockNumber) external view returns (bytes32);
}

/// @title InputOracle
/// @notice Decides on L1, for one L2 block on an agreed parent, whether a claimed list of its
///         transactions (by hash) and its timestamp obey derivation's rules for the inputs L1
///         decides (node/derive: attributes.py, batches.py `_check_block`): the L1-info deposit
///         first, naming a real L1 block that may be this block's origin, with the right sequence
///         number; then, in the first block of an origin, exactly that L1 block's deposits, in
///         order; no other deposit anywhere; the timestamp after the parent's, not before the
///         origin's, within the sequencer drift (or an empty block that could not move on).
///         docs/fault-proofs.md, "Deciding a block's inputs on L1".
///
///         Everything is checked against L1's own commitments: the parent against the agreed
///         output root (its header and the `L1Block` predeploy's storage proven in its state),
///         L1 headers against `L1BlockAnchors`, deposits against the portal's `depositHashChain`.
///         Evidence that does not match them reverts with a named error (the refuter's fault);
///         a claim that breaks a rule is a `Lie` (`lieOf`), or a named revert (`checkInputs`).
contract InputOracle is IInputOracle {
    /// @notice The agreed parent, proven against its output root.
    struct ParentProof {
        OutputRootLib.OutputRootProof output;
        bytes header; //             the parent's header RLP: keccak = output.latestBlockhash
        bytes[] l1BlockAccount; //   the L1Block predeploy's account proof in output.stateRoot
        bytes[] numberSlot; //        storage proofs of its slots (packed number/timestamp, hash, sequenceNumber)
        bytes[] hashSlot;
        bytes[] sequenceSlot;
    }

    /// @notice What a claim says of a block: its transactions' hashes, in order, its timestamp
    ///         (the rest of its header the game derives, prevRandao among it: `l2PrevRandao`), and
    ///         the batch derivation takes for it, `found` (`DerivationCommitment.foundLeaf`; 0: none,
    ///         the forced deposit-only block), from the derivation end state the game agreed.
    struct Claim {
        bytes32[] txHashes;
        uint256 timestamp;
        bytes32 found;
    }

    /// @notice What the refuter shows. `originHeaders` a header chain from an anchored (or recent)
    ///         L1 block down to the parent's L1 origin (at L2 genesis: `l1StartBlock`), through the
    ///         L1 block after it whenever L1 has one (the two origins derivation allows: the oracle
    ///         rebuilds both L1-info deposits from them, `_claimedOrigin`); `deposits` the claimed
    ///         origin's portal deposits (first block of an origin); `rawTxs` the raw transactions at
    ///         positions `rawTxIndexes`;
    ///         `batch` the batch `found` names (none shown: its rules are not checked).
    struct Evidence {
        bytes[] originHeaders;
        DepositTxLib.UserDeposit[] deposits;
        uint256[] rawTxIndexes;
        bytes[] rawTxs;
        BatchEvidence batch; // an empty channel: no batch shown
    }

    /// @notice The batch that gives the block its user transactions, by the hash `found` binds:
    ///         the channel's bytes (its frames' data concatenated in frame-number order, FastLZ,
    ///         shown whole, wherever the batcher posted them: calldata or blobs, one L1 block or
    ///         several), which batch of the channel, the L1 block derivation read the channel in
    ///         (`found`'s inclusion), which block of that batch (the span's first after the parent).
    ///         The batch is the one `found` names, which the derivation leaf decided under every
    ///         rule of channel_bank.py and batch_queue.py, so neither its place in the inbox nor
    ///         its rules are judged again here (docs/fault-proofs.md, "Why stepInput does not judge
    ///         the found batch again").
    struct BatchEvidence {
        bytes channel;
        uint256 batchIndex;
        uint256 inclusion;
        uint256 blockIndex;
    }

    /// @notice The rule a claim breaks (None: it obeys every rule this oracle decides).
    enum Lie {
        None,
        NoL1InfoDeposit, //        no transaction at all
        NotTheL1InfoDeposit, //    txHashes[0] is neither L1-info deposit derivation can put there:
        //                         the parent's origin with the parent's sequence number + 1, or the
        //                         next L1 block with 0 (at L2 genesis: the start block with 0)
        TimestampNotAfterParent,
        TimestampBeforeL1Origin,
        BeyondSequencerDrift, //   past origin.timestamp + drift with transactions, or while the next origin was there
        MissingDeposit, //         fewer transactions than the origin's deposits need
        WrongDeposit, //           a deposit position holds another transaction
        ForgedDeposit, //          a deposit among the batched transactions
        NotTheBatchOrigin, //      the batch gives the block another L1 origin
        NotTheBatchTimestamp, //   the batch gives the block another timestamp
        NotTheBatchedTransactions, // the block's user transactions are not the batch's (index: the first that differs)
        NotTheForcedOrigin, //    no batch found: the block must move to the next L1 origin (deposit-only block)
        NotDepositOnly, //        no batch found: the block must carry no user transaction (index: the first)
        NotTheForcedTimestamp // no batch found: the timestamp must be max(parent's + 1, origin's)
    }

    // The agreed parent's refusals are L2ParentLib's (`ParentOutputMismatch`, `ParentHeaderMismatch`),
    // the one home of its proof, which `_parent` calls.
    /// @notice The origin headers shown do not end at the parent's L1 origin (L2 genesis: `l1StartBlock`).
    error OriginHeaderMismatch(uint256 parentOriginNumber, uint256 headerNumber);
    /// @notice The deposits shown are not the portal's for that L1 block.
    error DepositsNotL1s(uint256 l1Block, bytes32 portalChain, bytes32 shownChain);
    error RawTxMismatch(uint256 index);
    error EvidenceNeeded(string what);
    /// @notice The channel shown reads to `batches` batches, none at `batchIndex`.
    error NoBatchAt(uint256 batchIndex, uint256 batches);
    /// @notice Block `blockIndex` of the batch shown is not its first after the parent (a singular batch's: 0).
    error NotTheBlockAfterTheParent(uint256 blockIndex);
    /// @notice The batch shown is not the one derivation takes (`found`; `shown`: the shown batch's leaf).
    error NotTheFoundBatch(bytes32 found, bytes32 shown);

    /// @notice `checkInputs` on a claim that breaks a rule: `lie` is its `Lie`, `index` the position.
    error InputsBreakRule(Lie lie, uint256 index);

    /// @notice The rollup's parameters and the L1 contracts the oracle reads.
    struct Config {
        L1BlockAnchors anchors;
        IDepositHashChain portal;
        BatchReader reader;
        uint256 l1StartBlock; //      the L1 origin of L2 block 1 (rollup config)
        uint256 maxSequencerDrift; // seconds (rollup config)
        uint256 sequencingWindow; //  L1 blocks (rollup config)
        uint256 l2ChainId;
        uint256[3] l1BlockSlots; //   L1Block's slots of number, hash, sequenceNumber (its storage layout)
    }

    L1BlockAnchors public immutable anchors;
    IDepositHashChain public immutable portal;
    BatchReader public immutable reader;
    uint256 public immutable l1StartBlock;
    uint256 public immutable maxSequencerDrift;
    uint256 public immutable sequencingWindow;
    uint256 public immutable l2ChainId;
    uint256 public immutable numberSlot;
    uint256 public immutable hashSlot;
    uint256 public immutable sequenceSlot;

    constructor(Config memory cfg) {
        anchors = cfg.anchors;
        portal = cfg.portal;
        reader = cfg.reader;
        l1StartBlock = cfg.l1StartBlock;
        maxSequencerDrift = cfg.maxSequencerDrift;
        sequencingWindow = cfg.sequencingWindow;
        l2ChainId = cfg.l2ChainId;
        (numberSlot, hashSlot, sequenceSlot) = (cfg.l1BlockSlots[0], cfg.l1BlockSlots[1], cfg.l1BlockSlots[2]);
    }

    // --- the entry points ---------------------------------------------------------------------

    /// @inheritdoc IInputOracle
    function refutes(
        uint256 l2BlockNumber,
        bytes32 parentOutputRoot,
        bytes32[] calldata txHashes,
        uint256 timestamp,
        bytes32 found,
        bytes calldata evidence
    ) external view returns (bool) {
        (ParentProof memory parent, Evidence memory ev) = abi.decode(evidence, (ParentProof, Evidence));
        (Lie lie,,) = _lieOf(_parent(l2BlockNumber, parentOutputRoot, parent), Claim(txHashes, timestamp, found), ev);
        return lie != Lie.None;
    }

    /// @notice Reverts `InputsBreakRule(lie, index)` if the claim breaks a rule; returns the
    ///         number of transactions derivation forces at the block's start (L1 info + deposits).
    function checkInputs(
        uint256 l2BlockNumber,
        bytes32 parentOutputRoot,
        ParentProof memory parent,
        Claim memory claim,
        Evidence memory ev
    ) external view returns (uint256 forced) {
        Lie lie;
        uint256 index;
        (lie, index, forced) = _lieOf(_parent(l2BlockNumber, parentOutputRoot, parent), claim, ev);
        if (lie != Lie.None) revert InputsBreakRule(lie, index);
    }

    /// @notice The first rule `claim` breaks for L2 block `l2BlockNumber` on the parent whose
    ///         output root is `parentOutputRoot`, and the transaction position it concerns.
    function lieOf(
        uint256 l2BlockNumber,
        bytes32 parentOutputRoot,
        ParentProof memory parentProof,
        Claim memory claim,
        Evidence memory ev
    ) public view returns (Lie lie, uint256 index) {
        (lie, index,) = _lieOf(_parent(l2BlockNumber, parentOutputRoot, parentProof), claim, ev);
    }

    /// @dev `lieOf` on the proven parent, and how many transactions derivation forces at the block's
    ///      start (the L1-info deposit, and in an origin's first block its deposits).
    function _lieOf(L2ParentLib.Parent memory parent, Claim memory claim, Evidence memory ev)
        internal
        view
        returns (Lie, uint256, uint256 forced)
    {
        if (claim.txHashes.length == 0) return (Lie.NoL1InfoDeposit, 0, 0);
        (bool canonical, bool sameOrigin, L1HeaderLib.Header memory origin, L1HeaderLib.Header memory next) =
            _claimedOrigin(parent, claim.txHashes[0], ev.originHeaders);
        if (!canonical) return (Lie.NotTheL1InfoDeposit, 0, 0);

        // Deposits: the origin's, in the first block of the origin; none anywhere else.
        forced = 1;
        if (!sameOrigin) {
            (Lie lie, uint256 index) = _checkDeposits(origin, claim.txHashes, ev.deposits);
            if (lie != Lie.None) return (lie, index, forced);
            forced += ev.deposits.length;
        }
        for (uint256 i = 0; i < ev.rawTxIndexes.length; i++) {
            uint256 at = ev.rawTxIndexes[i];
            if (at >= claim.txHashes.length || keccak256(ev.rawTxs[i]) != claim.txHashes[at]) revert RawTxMismatch(at);
            if (at >= forced && ev.rawTxs[i].length > 0 && uint8(ev.rawTxs[i][0]) == DepositTxLib.DEPOSIT_TX_TYPE) {
                return (Lie.ForgedDeposit, at, forced);
            }
        }
        (Lie rest, uint256 at) = _blockLie(parent, claim, ev, sameOrigin, origin, next, forced);
        return (rest, at, forced);
    }

    /// @dev The rules after the forced transactions: the forced block, the timestamps, the batch.
    function _blockLie(
        L2ParentLib.Parent memory parent,
        Claim memory claim,
        Evidence memory ev,
        bool sameOrigin,
        L1HeaderLib.Header memory origin,
        L1HeaderLib.Header memory next,
        uint256 forced
    ) internal view returns (Lie, uint256) {
        if (claim.found == bytes32(0)) return _forcedBlockLie(parent, claim, origin.number, origin.timestamp, forced);

        // Timestamps (batches.py `_check_block`).
        if (claim.timestamp <= parent.timestamp) return (Lie.TimestampNotAfterParent, 0);
        if (claim.timestamp < origin.timestamp) return (Lie.TimestampBeforeL1Origin, 0);
        if (claim.timestamp > origin.timestamp + maxSequencerDrift) {
            if (claim.txHashes.length > forced) return (Lie.BeyondSequencerDrift, forced);
            // An empty block past the drift is valid if it moves to a new origin, or if the next
            // L1 block is newer than it (the sequencer could not move on).
            if (sameOrigin) {
                if (next.hash == bytes32(0)) revert EvidenceNeeded("next L1 block's header");
                if (claim.timestamp >= next.timestamp) return (Lie.BeyondSequencerDrift, 0);
            }
        }
        if (ev.batch.channel.length > 0) return _batchLie(parent, claim, origin.number, forced, ev.batch);
        return (Lie.None, 0);
    }

    // --- no batch: the forced block ---------------------------------------------------------------

    /// @dev node/derive/pipeline.py's forced inclusion, when derivation finds no batch for this block
    ///      (`found` = 0 in the end state the game agreed: no valid batch came before the end of the
    ///      next origin F's window, F + sequencingWindow - 1; once F + sequencingWindow is read, node
    ///      derives the deposit-only block of F). The block must then be that block: origin F, only
    ///      its forced transactions, timestamp max(parent + 1, F's).
    function _forcedBlockLie(L2ParentLib.Parent memory parent, Claim memory claim, uint256 originNumber, uint256 originTime, uint256 forced)
        internal
        view
        returns (Lie, uint256)
    {
        uint256 forcedOrigin = parent.originHash == bytes32(0) ? l1StartBlock : parent.originNumber + 1;
        if (forcedOrigin + sequencingWindow - 1 >= block.number) revert EvidenceNeeded("the sequencing window's end on L1");
        if (originNumber != forcedOrigin) return (Lie.NotTheForcedOrigin, 0);
        if (claim.txHashes.length != forced) return (Lie.NotDepositOnly, forced);
        uint256 expected = parent.timestamp + 1 > originTime ? parent.timestamp + 1 : originTime;
        if (claim.timestamp != expected) return (Lie.NotTheForcedTimestamp, 0);
        return (Lie.None, 0);
    }

    // --- the batch ----------------------------------------------------------------------------

    /// @dev The block's element of the batch `found` names, against the claim: same origin,
    ///      timestamp, user transactions.
    function _batchLie(L2ParentLib.Parent memory parent, Claim memory claim, uint256 originNumber, uint256 forced, BatchEvidence memory b)
        internal
        view
        returns (Lie, uint256)
    {
        bytes memory batch = _foundBatch(b, claim.found);
        BatchReader.SpanBlock memory element = _foundBlock(batch, parent, b.blockIndex);
        if (element.originNumber != originNumber) return (Lie.NotTheBatchOrigin, 0);
        if (element.timestamp != claim.timestamp) return (Lie.NotTheBatchTimestamp, 0);
        uint256 n = element.txHashes.length;
        for (uint256 i = 0; i < n; i++) {
            if (forced + i >= claim.txHashes.length || claim.txHashes[forced + i] != element.txHashes[i]) {
                return (Lie.NotTheBatchedTransactions, forced + i);
            }
        }
        if (claim.txHashes.length != forced + n) return (Lie.NotTheBatchedTransactions, forced + n);
        return (Lie.None, 0);
    }

    /// @dev Block `j` of the batch derivation takes for the block after the parent, which must be
    ///      that block: a singular batch's one (j = 0), or the span's first after the parent's
    ///      timestamp (batch_queue.py's `overlap`: the span's blocks at or before the parent come
    ///      first, its timestamps increase). Every other rule of the batch the derivation leaf
    ///      decided when it set `found`; only which of its blocks is this one is left to pin, else a
    ///      liar would show another block of the true batch against a true claim. So its
    ///      transactions are only located, rebuilt and hashed (`foundSpanBlock`; a singular batch's
    ///      hashed as carried, `foundSingular`), not checked again.
    function _foundBlock(bytes memory encoded, L2ParentLib.Parent memory parent, uint256 j)
        internal
        view
        returns (BatchReader.SpanBlock memory)
    {
        if (encoded.length == 0 || uint8(encoded[0]) != 0) {
            (BatchReader.SpanBlock memory element, uint256 previousTimestamp) = reader.foundSpanBlock(encoded, l2ChainId, j);
            if (element.timestamp <= parent.timestamp || (j > 0 && previousTimestamp > parent.timestamp)) {
                revert NotTheBlockAfterTheParent(j);
            }
            return element;
        }
        BatchReader.SingularBatch memory s = reader.foundSingular(encoded);
        if (j != 0) revert NotTheBlockAfterTheParent(j);
        return BatchReader.SpanBlock(s.timestamp, s.originNumber, s.txHashes.length, s.txHashes);
    }

    /// @dev The batch shown, if it is the batch derivation takes (`found`), never the refuter's
    ///      choice (a second valid batch is not it: NotTheFoundBatch). `found` is keccak256 of the
    ///      batch's hash and the L1 block its channel was read in; the hash binds the batch, so any
    ///      bytes that read to a batch with that hash are that batch, whichever channel bytes (and
    ///      whichever batcher transactions, calldata or blobs) the refuter shows them in: where
    ///      the batch came from and whether derivation reads it there is the derivation leaf's
    ///      judgment, made when it set `found`.
    function _foundBatch(BatchEvidence memory b, bytes32 found) internal view returns (bytes memory batch) {
        (bytes[] memory batches,) = reader.readChannel(b.channel, MAX_RLP_BYTES_PER_CHANNEL); // those before a break count
        if (b.batchIndex >= batches.length) revert NoBatchAt(b.batchIndex, batches.length);
        batch = batches[b.batchIndex];
        bytes32 shown = keccak256(abi.encode(keccak256(batch), b.inclusion));
        if (shown != found) revert NotTheFoundBatch(found, shown);
    }

    // --- the parts ----------------------------------------------------------------------------

    /// @dev The parent's number, timestamp and L1 origin, proven against its output root.
    function _parent(uint256 l2BlockNumber, bytes32 agreed, ParentProof memory proof) internal view returns (L2ParentLib.Parent memory) {
        return L2ParentLib.prove(l2BlockNumber, agreed, proof, [numberSlot, hashSlot, sequenceSlot]);
    }

    /// @dev The L1 origin the claim's transaction 0 gives the block. The oracle rebuilds every
    ///      L1-info deposit derivation can put there (node/derive/attributes.py
    ///      `forced_transactions`, `sequence_number_after`; node/l1_info.py `l1_info_deposit`) from
    ///      the agreed parent and L1's headers: on the parent's origin O with the parent's sequence
    ///      number + 1, or on the next L1 block O + 1 with 0 (at L2 genesis only `l1StartBlock` with
    ///      0). `canonical` is false iff `l1InfoHash` is none of them: a made-up hash is a lie, with
    ///      no bytes behind it to show. `headers` (newest first) must end at O and pass through
    ///      O + 1 whenever L1 has it; `next` is O + 1's header (zero when not shown: only while
    ///      O + 1 is not yet an L1 block with a hash this contract can check).
    function _claimedOrigin(L2ParentLib.Parent memory parent, bytes32 l1InfoHash, bytes[] memory headers)
        internal
        view
        returns (bool canonical, bool sameOrigin, L1HeaderLib.Header memory origin, L1HeaderLib.Header memory next)
    {
        bool genesis = parent.originHash == bytes32(0);
        uint256 base = genesis ? l1StartBlock : parent.originNumber;
        L1HeaderLib.Header[] memory chain = anchors.verifyL1Headers(headers);
        L1HeaderLib.Header memory parentOrigin = chain[chain.length - 1];
        if (parentOrigin.number != base) revert OriginHeaderMismatch(base, parentOrigin.number);
        if (genesis) return (_l1InfoHash(parentOrigin, 0) == l1InfoHash, false, parentOrigin, next);
        if (headers.length >= 2) {
            next = chain[chain.length - 2];
        } else if (base + 1 < block.number) {
            revert EvidenceNeeded("the header of the L1 block after the parent's origin");
        }
        if (_l1InfoHash(parentOrigin, parent.sequenceNumber + 1) == l1InfoHash) return (true, true, parentOrigin, next);
        if (next.hash != bytes32(0) && _l1InfoHash(next, 0) == l1InfoHash) return (true, false, next, next);
        return (false, false, parentOrigin, next);
    }

    /// @dev The hash of the L1-info deposit of a block with L1 origin `origin` and that sequence number.
    function _l1InfoHash(L1HeaderLib.Header memory origin, uint256 sequenceNumber) internal pure returns (bytes32) {
        DepositTxLib.L1Info memory info = DepositTxLib.L1Info(
            uint64(origin.number), uint64(origin.timestamp), origin.baseFee, origin.hash, uint64(sequenceNumber)
        );
        return keccak256(DepositTxLib.l1InfoDeposit(info));
    }

    /// @dev The claim's transactions 1..k must be the origin's k portal deposits, in order: their
    ///      fields and their positions (source hashes) the portal's hash chain.
    function _checkDeposits(L1HeaderLib.Header memory origin, bytes32[] memory txHashes, DepositTxLib.UserDeposit[] memory deposits)
        internal
        view
        returns (Lie, uint256)
    {
        bytes32 chain;
        for (uint256 i = 0; i < deposits.length; i++) {
            chain = keccak256(abi.encodePacked(chain, DepositTxLib.depositLeaf(deposits[i])));
        }
        bytes32 portalChain = portal.depositHashChain(origin.number);
        if (chain != portalChain) revert DepositsNotL1s(origin.number, portalChain, chain);
        for (uint256 i = 0; i < deposits.length; i++) {
            if (txHashes.length <= 1 + i) return (Lie.MissingDeposit, 1 + i);
            if (keccak256(DepositTxLib.userDeposit(origin.hash, i, deposits[i])) != txHashes[1 + i]) return (Lie.WrongDeposit, 1 + i);
        }
        return (Lie.None, 0);
    }
}
