// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MachineCompaction} from "./MachineCompaction.sol";

/// @title EVMTx
/// @notice Decodes an L2 transaction as a block carries it (EIP-2718 envelope) for `EVMStep`:
///         legacy (EIP-155 or unprotected), EIP-2930 (0x01), EIP-1559 (0x02) with the sender
///         recovered by ecrecover, and Lantau's deposit (0x7E, no signature). Blob (0x03) and
///         set-code (0x04) transactions are refused: the L2 does not accept them (node/txpool.py,
///         node/batches.py). A separate deployed contract to keep `EVMStep` under the size limit; its
///         fallback is `MachineCompaction`, which EVMStep calls as a segment pauses.
contract EVMTx is MachineCompaction {
    error InvalidTransaction(string reason);

    uint256 internal constant SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    struct Tx {
        bool isDeposit;
        uint8 txType;
        address from;
        address to;
        bool isCreate;
        uint256 nonce;
        uint256 gasLimit;
        uint256 value;
        uint256 maxFee; //        gas price for legacy and 0x01
        uint256 maxPriority; //   type(uint256).max for legacy and 0x01 (the price is maxFee)
        uint256 mint;
        bytes data;
        bytes accessList; //      packed: per address [20-byte address, 2-byte key count, 32-byte keys]
        uint256 accessListAddresses;
        uint256 accessListKeys;
        uint256 intrinsicGas; //  21,000 + calldata, access list, creation and init-code words
        uint256 floorGas; //      EIP-7623's calldata floor
    }

    function _bad(string memory reason) private pure {
        revert InvalidTransaction(reason);
    }

    /// @notice The checks a block applies to a user transaction before it runs (py-evm's and
    ///         node/vm.py's `LantauState.validate_transaction`), those that read no state: its
    ///         gas against its intrinsic gas and the block's gas left, its init code, its fee cap
    ///         against the base fee. Reverts InvalidTransaction(reason). (A tip above the fee cap
    ///         is refused by `decode`.)
    function checkBlock(
        uint256 gasLimit,
        uint256 intrinsic,
        bool isCreate,
        uint256 dataLength,
        uint256 maxFee,
        uint256 blockGasLeft,
        uint256 baseFee
    ) external pure {
        if (gasLimit < intrinsic) _bad("intrinsic gas too low");
        // no check of the gas limit against EIP-7623's floor: py-evm has none (only the pool
        // refuses), so a block can carry such a transaction; EVMStep charges it the floor
        if (isCreate && dataLength > 49152) _bad("init code too large");
        if (gasLimit > blockGasLeft) _bad("gas above the block's gas left");
        if (maxFee < baseFee) _bad("max fee per gas below the base fee");
    }

    /// @notice The checks of the sender's account: no code (EIP-3607, node/vm.py's
    ///         `check_sender_is_eoa`), its nonce, and a balance for the gas at the effective price
    ///         (py-evm's, not at the fee cap) plus the value. Reverts InvalidTransaction(reason).
    function checkSender(
        uint256 nonce,
        uint256 gasLimit,
        uint256 maxFee,
        uint256 maxPriority,
        uint256 value,
        uint256 baseFee,
        uint256 senderNonce,
        uint256 senderBalance,
        uint256 senderCodeLength
    ) external pure {
        if (senderCodeLength != 0) _bad("sender has code (EIP-3607)");
        if (senderNonce != nonce) _bad("nonce mismatch");
        if (senderNonce >= type(uint64).max) _bad("nonce at its maximum");
        uint256 price = maxFee;
        if (maxPriority != type(uint256).max && baseFee + maxPriority < price) price = baseFee + maxPriority;
        if (senderBalance < gasLimit * price + value) _bad("insufficient funds for gas * price + value");
    }

    /// @dev (payload offset, payload length, is list, end) of the RLP item at `p` in `b`.
    function _item(bytes memory b, uint256 p) private pure returns (uint256 off, uint256 len, bool isList, uint256 end) {
        if (p >= b.length) _bad("rlp: truncated");
        uint256 h = uint8(b[p]);
        if (h < 0x80) return (p, 1, false, p + 1);
        if (h < 0xb8) {
            len = h - 0x80;
            off = p + 1;
            if (len == 1 && off < b.length && uint8(b[off]) < 0x80) _bad("rlp: non-canonical byte");
        } else if (h < 0xc0) {
            (off, len) = _long(b, p, h - 0xb7);
        } else if (h < 0xf8) {
            len = h - 0xc0;
            off = p + 1;
            isList = true;
        } else {
            (off, len) = _long(b, p, h - 0xf7);
            isList = true;
        }
        end = off + len;
        if (end > b.length) _bad("rlp: truncated");
    }

    function _long(bytes memory b, uint256 p, uint256 lenOfLen) private pure returns (uint256 off, uint256 len) {
        if (lenOfLen > 8 || p + 1 + lenOfLen > b.length) _bad("rlp: bad length");
        for (uint256 i = 0; i < lenOfLen; i++) len = (len << 8) | uint8(b[p + 1 + i]);
        if (len < 56 || uint8(b[p + 1]) == 0) _bad("rlp: non-canonical length");
        off = p + 1 + lenOfLen;
    }

    /// @dev Offsets of the items of the list whose payload is [off, end).
    function _list(bytes memory b, uint256 off, uint256 end) private pure returns (uint256[] memory items) {
        items = new uint256[](16);
        uint256 n = 0;
        while (off < end) {
            if (n == 16) _bad("rlp: too many fields");
            items[n++] = off;
            (,,, off) = _item(b, off);
        }
        if (off != end) _bad("rlp: list length");
        assembly {
            mstore(items, n)
        }
    }

    function _uint(bytes memory b, uint256 p) private pure returns (uint256 v) {
        (uint256 off, uint256 len, bool isList,) = _item(b, p);
        if (isList || len > 32) _bad("rlp: bad integer");
        if (len > 0 && b[off] == 0) _bad("rlp: integer with leading zero");
        for (uint256 i = 0; i < len; i++) v = (v << 8) | uint8(b[off + i]);
    }

    function _bytes(bytes memory b, uint256 p) private pure returns (bytes memory out) {
        (uint256 off, uint256 len, bool isList,) = _item(b, p);
        if (isList) _bad("rlp: expected bytes");
        out = new bytes(len);
        assembly {
            mcopy(add(out, 0x20), add(add(b, 0x20), off), len)
        }
    }

    function _to(bytes memory b, uint256 p, Tx memory t) private pure {
        (uint256 off, uint256 len, bool isList,) = _item(b, p);
        if (isList) _bad("rlp: bad to");
        if (len == 0) {
            t.isCreate = true;
        } else {
            if (len != 20) _bad("to is not 20 bytes");
            uint256 v;
            assembly {
                v := shr(96, mload(add(add(b, 0x20), off)))
            }
            t.to = address(uint160(v));
        }
    }

    function _slice(bytes memory b, uint256 from, uint256 to) private pure returns (bytes memory out) {
        out = new bytes(to - from);
        assembly {
            mcopy(add(out, 0x20), add(add(b, 0x20), from), sub(to, from))
        }
    }

    function _header(uint256 base, uint256 len) private pure returns (bytes memory h) {
        if (len < 56) return abi.encodePacked(uint8(base + len));
        uint256 l = 0;
        for (uint256 v = len; v != 0; v >>= 8) l++;
        h = abi.encodePacked(uint8(base + 55 + l));
        for (uint256 i = l; i > 0; i--) h = abi.encodePacked(h, uint8(len >> (8 * (i - 1))));
    }

    function _rlpUint(uint256 v) private pure returns (bytes memory) {
        if (v == 0) return hex"80";
        if (v < 0x80) return abi.encodePacked(uint8(v));
        uint256 l = 0;
        for (uint256 x = v; x != 0; x >>= 8) l++;
        bytes memory out = abi.encodePacked(uint8(0x80 + l));
        for (uint256 i = l; i > 0; i--) out = abi.encodePacked(out, uint8(v >> (8 * (i - 1))));
        return out;
    }

    function _accessList(bytes memory b, uint256 p, Tx memory t) private pure {
        (uint256 off, uint256 len, bool isList,) = _item(b, p);
        if (!isList) _bad("access list is not a list");
        uint256 end = off + len;
        bytes memory packed;
        while (off < end) {
            (bytes memory entry, uint256 count, uint256 next) = _accessEntry(b, off);
            packed = abi.encodePacked(packed, entry);
            t.accessListAddresses++;
            t.accessListKeys += count;
            off = next;
        }
        t.accessList = packed;
    }

    /// @dev One [address, [keys]] entry at `p`, packed as [address, uint16 count, keys].
    function _accessEntry(bytes memory b, uint256 p) private pure returns (bytes memory entry, uint256 count, uint256 next) {
        (uint256 eoff,, bool eList, uint256 eend) = _item(b, p);
        if (!eList) _bad("access list entry is not a list");
        (uint256 aoff, uint256 alen, bool aList, uint256 aend) = _item(b, eoff);
        if (aList || alen != 20) _bad("access list address");
        bytes memory keys;
        (keys, count) = _keys(b, aend, eend);
        entry = abi.encodePacked(_slice(b, aoff, aoff + 20), uint16(count), keys);
        next = eend;
    }

    function _keys(bytes memory b, uint256 p, uint256 entryEnd) private pure returns (bytes memory keys, uint256 count) {
        (uint256 koff,, bool kList, uint256 kend) = _item(b, p);
        if (!kList || kend != entryEnd) _bad("access list keys");
        for (uint256 q = koff; q < kend;) {
            (uint256 voff, uint256 vlen, bool vList, uint256 vend) = _item(b, q);
            if (vList || vlen != 32) _bad("access list key");
            keys = abi.encodePacked(keys, _slice(b, voff, voff + 32));
            count++;
            q = vend;
        }
    }

    function _recover(bytes32 h, uint256 yParity, uint256 r, uint256 s) private pure returns (address a) {
        if (yParity > 1) _bad("signature: bad y parity");
        if (r == 0 || r >= SECP256K1_N || s == 0 || s > SECP256K1_N / 2) _bad("signature: r or s out of range");
        a = ecrecover(h, uint8(27 + yParity), bytes32(r), bytes32(s));
        if (a == address(0)) _bad("signature: recovery failed");
    }

    /// @notice The transaction `raw` (as a block carries it) for chain `chainId`, its sender
    ///         recovered; reverts InvalidTransaction on anything the L2 would not accept.
    function decode(bytes memory raw, uint256 chainId) external pure returns (Tx memory t) {
        t = _decode(raw, chainId);
        (t.intrinsicGas, t.floorGas) = _intrinsic(t);
    }

    /// @dev Intrinsic gas (EIP-2028 calldata, EIP-2930 list, EIP-3860 init-code words) and the
    ///      EIP-7623 floor, as py-evm's Prague.
    function _intrinsic(Tx memory t) private pure returns (uint256 gas, uint256 floor) {
        uint256 zeros;
        bytes memory d = t.data;
        for (uint256 i = 0; i < d.length; i++) {
            if (d[i] == 0) zeros++;
        }
        uint256 tokens = zeros + (d.length - zeros) * 4;
        gas = 21000 + tokens * 4 + t.accessListAddresses * 2400 + t.accessListKeys * 1900;
        if (t.isCreate) gas += 32000 + 2 * ((d.length + 31) / 32);
        floor = 21000 + 10 * tokens;
    }

    /// @notice The address CREATE gives `sender` at `nonce`: keccak256(rlp([sender, nonce]))[12:].
    function createAddress(address sender, uint256 nonce) external pure returns (address) {
        bytes memory n;
        if (nonce == 0) n = hex"80";
        else if (nonce < 0x80) n = abi.encodePacked(uint8(nonce));
        else {
            uint256 len = 0;
            for (uint256 v = nonce; v != 0; v >>= 8) len++;
            n = abi.encodePacked(uint8(0x80 + len));
            for (uint256 i = len; i > 0; i--) n = abi.encodePacked(n, uint8(nonce >> (8 * (i - 1))));
        }
        bytes memory enc = abi.encodePacked(uint8(0xc0 + 21 + n.length), uint8(0x94), sender, n);
        return address(uint160(uint256(keccak256(enc))));
    }

    /// @notice A log's RLP item [address, [topics], data]; `topics` packed, 32 bytes each.
    function logItem(address self, bytes memory topics, bytes memory data) external pure returns (bytes memory) {
        uint256 len = data.length;
        bytes memory dataEnc = (len == 1 && uint8(data[0]) < 0x80) ? data : abi.encodePacked(_header(0x80, len), data);
        bytes memory body = abi.encodePacked(uint8(0x94), self, _header(0xc0, topics.length / 32 * 33));
        for (uint256 i = 0; i < topics.length; i += 32) {
            bytes32 t;
            assembly {
                t := mload(add(add(topics, 0x20), i))
            }
            body = abi.encodePacked(body, uint8(0xa0), t);
        }
        body = abi.encodePacked(body, dataEnc);
        return abi.encodePacked(_header(0xc0, body.length), body);
    }

    function _decode(bytes memory raw, uint256 chainId) private pure returns (Tx memory t) {
        if (raw.length == 0) _bad("empty transaction");
        uint256 first = uint8(raw[0]);
        if (first >= 0xc0) return _legacy(raw, chainId);
        if (first == 0x7e) return _depositTx(raw);
        if (first != 0x01 && first != 0x02) _bad("transaction type not accepted by the L2");
        t.txType = uint8(first);
        (uint256 off, uint256 len, bool isList, uint256 end) = _item(raw, 1);
        if (!isList || end != raw.length) _bad("typed payload is not one RLP list");
        uint256[] memory f = _list(raw, off, end);
        uint256 n = first == 0x01 ? 11 : 12;
        if (f.length != n) _bad("wrong number of fields");
        if (_uint(raw, f[0]) != chainId) _bad("wrong chain id");
        t.nonce = _uint(raw, f[1]);
        uint256 i = 2;
        if (first == 0x02) {
            t.maxPriority = _uint(raw, f[2]);
            t.maxFee = _uint(raw, f[3]);
            // EIP-1559 (node/vm.py: check_tip_within_fee_cap)
            if (t.maxPriority > t.maxFee) _bad("max priority fee per gas above max fee per gas");
            i = 4;
        } else {
            t.maxFee = _uint(raw, f[2]);
            t.maxPriority = type(uint256).max;
            i = 3;
        }
        t.gasLimit = _uint(raw, f[i]);
        _to(raw, f[i + 1], t);
        t.value = _uint(raw, f[i + 2]);
        t.data = _bytes(raw, f[i + 3]);
        _accessList(raw, f[i + 4], t);
        t.from = _typedSender(raw, off, f, i + 5, first);
        _limits(t);
    }

    function _typedSender(bytes memory raw, uint256 off, uint256[] memory f, uint256 sig, uint256 txType)
        private
        pure
        returns (address)
    {
        bytes memory unsigned = _slice(raw, off, f[sig]);
        bytes32 h = keccak256(abi.encodePacked(uint8(txType), _header(0xc0, unsigned.length), unsigned));
        return _recover(h, _uint(raw, f[sig]), _uint(raw, f[sig + 1]), _uint(raw, f[sig + 2]));
    }

    function _limits(Tx memory t) private pure {
        if (t.nonce >= type(uint64).max) _bad("nonce too large");
        if (t.gasLimit > type(uint64).max) _bad("gas limit too large");
    }

    function _legacy(bytes memory raw, uint256 chainId) private pure returns (Tx memory t) {
        (uint256 off, uint256 len,, uint256 end) = _item(raw, 0);
        if (end != raw.length) _bad("trailing bytes");
        uint256[] memory f = _list(raw, off, off + len);
        if (f.length != 9) _bad("wrong number of fields");
        t.nonce = _uint(raw, f[0]);
        t.maxFee = _uint(raw, f[1]);
        t.maxPriority = type(uint256).max;
        t.gasLimit = _uint(raw, f[2]);
        _to(raw, f[3], t);
        t.value = _uint(raw, f[4]);
        t.data = _bytes(raw, f[5]);
        uint256 v = _uint(raw, f[6]);
        bytes memory unsigned = _slice(raw, off, f[6]);
        uint256 yParity;
        if (v == 27 || v == 28) {
            yParity = v - 27;
        } else {
            if (v != chainId * 2 + 35 && v != chainId * 2 + 36) _bad("wrong chain id");
            yParity = v - chainId * 2 - 35;
            unsigned = abi.encodePacked(unsigned, _rlpUint(chainId), hex"8080");
        }
        bytes32 h = keccak256(abi.encodePacked(_header(0xc0, unsigned.length), unsigned));
        t.from = _recover(h, yParity, _uint(raw, f[7]), _uint(raw, f[8]));
        _limits(t);
    }

    function _depositTx(bytes memory raw) private pure returns (Tx memory t) {
        t.isDeposit = true;
        t.txType = 0x7e;
        (uint256 off, uint256 len, bool isList, uint256 end) = _item(raw, 1);
        if (!isList || end != raw.length) _bad("deposit payload is not one RLP list");
        uint256[] memory f = _list(raw, off, off + len);
        if (f.length != 8) _bad("wrong number of fields");
        (uint256 aoff, uint256 alen,,) = _item(raw, f[1]);
        if (alen != 20) _bad("deposit from is not 20 bytes");
        uint256 a;
        assembly {
            a := shr(96, mload(add(add(raw, 0x20), aoff)))
        }
        t.from = address(uint160(a));
        _to(raw, f[2], t);
        t.mint = _uint(raw, f[3]);
        t.value = _uint(raw, f[4]);
        t.gasLimit = _uint(raw, f[5]);
        t.data = _bytes(raw, f[7]);
        t.maxPriority = type(uint256).max;
    }
}
