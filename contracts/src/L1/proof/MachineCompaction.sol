// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title MachineCompaction
/// @notice Compaction of a paused `EVMStep` machine (docs/fault-proofs.md, "Segmented execution").
///         A machine is the interpreter's memory image from 0x80 with the pointer of its `Env`; as
///         it runs, the image fills with what is no longer reachable (frames that returned, memory
///         and stack areas outgrown, return data, temporaries, the decoded witness). EVMStep calls
///         this (its fallback: EVMStep has no code room, and reaches it at `txLib`, which inherits
///         it) as it pauses, with calldata [PAUSED, Env pointer, image from 0x80]; the answer has
///         the same shape and holds only what the Env reaches, copied in reach order from 0x80 on
///         with every pointer rewritten (a typed copying collector), so each segment re-sends the
///         live state only.
///
///         The object shapes are EVMStep's, by word: `Env` (27), `Acc` (18), `Frame` (27), the
///         transaction (`EVMTx.Tx`, 17), the block context (9), the caps (6), `bytes`, arrays,
///         slot nodes [next, key, orig, cur, used, witnessed], warm-slot nodes [next, addr, key,
///         warm, slot node, 0] from 256 buckets, transient nodes [next, addr, key, value] from 1,024
///         buckets, list nodes [next, addr, 0] (warm and counted addresses), log nodes [next, item,
///         0] and journal nodes [prev, word pointer, old word]. A journal node's pointer points into
///         an account's field, a slot / warm-slot / transient node's fourth word or the Env's
///         refund, warm-list or log-list word; it is rewritten by the object that contains it, and
///         its old word too where that is a pointer (an account's code, a list head). A frame's
///         stack keeps its items (capacity at least 16), its memory its msize bytes (capacity =
///         msize), its call buffers their current bytes (capacity = their length): EVMStep grows
///         each on demand, so a smaller capacity changes nothing but later allocations.
abstract contract MachineCompaction {
    uint256 private constant _PAUSED = 0x5041555345440000000000000000000000000000000000000000000000000000;

    fallback() external {
        assembly {
            // scratch words as globals: 0x00 next new address, 0x20 queue length, 0x40 queue base,
            // 0x60 destination base (new address a is at destination base + a - 0x80)
            // forwarding table from 0x80: 8 bytes per source word, (new address << 16 | old
            // address mod 32 << 8 | type). Objects are at least one word long and EVMStep's
            // allocations are not all word-aligned (abi.encodePacked), so two objects never share
            // an entry, and the low bits tell the object's own address from one inside it.

            function srcEnd() -> a {
                a := add(calldatasize(), 0x40)
            }
            function checkRange(a, len) {
                if or(lt(a, 0x80), gt(add(a, len), srcEnd())) { revert(0, 0) }
            }
            function fget(a) -> e {
                e := 0
                if and(iszero(lt(a, 0x80)), lt(a, srcEnd())) {
                    e := shr(192, mload(add(0x80, shl(3, shr(5, sub(a, 0x80))))))
                    if iszero(eq(and(shr(8, e), 31), and(a, 31))) { e := 0 }
                }
            }
            function put8(p, v) {
                mstore(p, or(shl(192, v), and(mload(p), sub(shl(192, 1), 1))))
            }
            function dst(na) -> p {
                p := add(mload(0x60), sub(na, 0x80))
            }
            function alloc(len) -> na {
                na := mload(0x00)
                mstore(0x00, add(na, len))
            }
            function sizeOf(a, ty) -> s {
                switch ty
                case 1 { s := add(0x20, and(add(calldataload(sub(a, 0x40)), 31), not(31))) } // bytes
                case 2 { s := add(0x20, shl(5, calldataload(sub(a, 0x40)))) } // word array
                case 3 { s := add(0x20, shl(5, calldataload(sub(a, 0x40)))) } // Acc[]
                case 4 { s := 0x360 } // Env
                case 5 { s := 0x240 } // Acc
                case 6 { s := 0xc0 } // slot node
                case 7 { s := 0xc0 } // warm-slot node
                case 8 { s := 0x80 } // transient node
                case 9 { s := 0x60 } // address list node
                case 10 { s := 0x60 } // log node
                case 11 { s := 0x60 } // journal node
                case 12 { s := 0x120 } // block context
                case 13 { s := 0x220 } // transaction
                case 14 { s := 0x360 } // Frame
                case 15 { s := 0x2000 } // 256 warm-slot buckets
                case 16 { s := 0x8000 } // 1,024 transient buckets
                default { s := 0xc0 } // 17: the caps
            }
            // the new address of the object of type `ty` at old address `a`, copying it (and
            // queueing it for its pointers) the first time
            function fw(a, ty) -> na {
                na := a
                if iszero(lt(a, 0x80)) {
                    let e := fget(a)
                    switch e
                    case 0 {
                        let s := sizeOf(a, ty)
                        checkRange(a, s)
                        na := alloc(s)
                        calldatacopy(dst(na), sub(a, 0x40), s)
                        if eq(ty, 1) { mstore(add(dst(na), add(0x20, calldataload(sub(a, 0x40)))), 0) } // zero padding
                        put8(add(0x80, shl(3, shr(5, sub(a, 0x80)))), or(shl(16, na), or(shl(8, and(a, 31)), ty)))
                        if and(gt(ty, 2), lt(ty, 17)) {
                            let n := mload(0x20)
                            put8(add(mload(0x40), shl(3, n)), or(shl(8, na), ty))
                            mstore(0x20, add(n, 1))
                        }
                    }
                    default { na := shr(16, e) }
                }
            }
            function fix(na, i, ty) {
                let p := add(dst(na), shl(5, i))
                mstore(p, fw(mload(p), ty))
            }
            function fixAll(na, from, to, ty) {
                for { let i := from } lt(i, to) { i := add(i, 1) } { fix(na, i, ty) }
            }
            // a frame: its stack, memory and call buffers (its journal mark, word 17, comes later)
            function frame(na) {
                fix(na, 0, 14)
                fix(na, 4, 1)
                fix(na, 5, 1)
                fix(na, 14, 1)
                fix(na, 21, 1)
                let p := dst(na)
                let sp := mload(add(p, 0x120))
                let cap := sp
                if lt(cap, 16) { cap := 16 }
                let old := mload(add(p, 0x100))
                checkRange(old, shl(5, sp))
                let ns := alloc(shl(5, cap))
                calldatacopy(dst(ns), sub(old, 0x40), shl(5, sp))
                mstore(add(p, 0x100), ns)
                mstore(add(p, 0x140), cap)
                let memSize := mload(add(p, 0x180))
                let nm := 0
                if memSize {
                    old := mload(add(p, 0x160))
                    checkRange(old, memSize)
                    nm := alloc(memSize)
                    calldatacopy(dst(nm), sub(old, 0x40), memSize)
                }
                mstore(add(p, 0x160), nm)
                mstore(add(p, 0x1a0), memSize)
                for { let w := 0x2e0 } lt(w, 0x360) { w := add(w, 0x40) } {
                    let b := fw(mload(add(p, w)), 1)
                    mstore(add(p, w), b)
                    let c := 0
                    if b { c := mload(dst(b)) }
                    mstore(add(p, add(w, 0x20)), c)
                }
            }
            // a journal node: its pointer rewritten by the object holding the word
            function journal(na) {
                fix(na, 0, 11)
                let p := dst(na)
                let ptr := mload(add(p, 0x20))
                let oldType := 0
                let np := 0
                for { let off := 0x20 } and(iszero(np), lt(off, 0x120)) { off := add(off, 0x20) } {
                    let e := 0
                    if gt(ptr, add(off, 0x7f)) { e := fget(sub(ptr, off)) }
                    let ty := and(e, 0xff)
                    if eq(ty, 5) {
                        np := add(shr(16, e), off)
                        if eq(off, 0xa0) { oldType := 1 } // an account's code
                    }
                    if and(eq(off, 0x60), and(gt(ty, 5), lt(ty, 9))) { np := add(shr(16, e), off) }
                    if and(eq(ty, 4), or(eq(off, 0x40), or(eq(off, 0x80), eq(off, 0xc0)))) {
                        np := add(shr(16, e), off)
                        if eq(off, 0x80) { oldType := 9 } // the warm-address list's head
                        if eq(off, 0xc0) { oldType := 10 } // the log list's head
                    }
                }
                if iszero(np) { revert(0, 0) }
                mstore(add(p, 0x20), np)
                if oldType { mstore(add(p, 0x40), fw(mload(add(p, 0x40)), oldType)) }
            }
            function process(na, ty) {
                switch ty
                case 3 { fixAll(na, 1, add(mload(dst(na)), 1), 5) }
                case 4 {
                    // the journal (word 1) and its mark (word 25) come once everything else is copied
                    fix(na, 0, 3)
                    fix(na, 3, 16)
                    fix(na, 4, 9)
                    fix(na, 5, 15)
                    fix(na, 6, 10)
                    fix(na, 9, 12)
                    fixAll(na, 11, 14, 1)
                    fix(na, 14, 17)
                    fix(na, 21, 9)
                    fix(na, 24, 13)
                    fix(na, 26, 14)
                }
                case 5 {
                    fix(na, 5, 1)
                    fix(na, 10, 6)
                    fix(na, 17, 1)
                }
                case 6 { fix(na, 0, 6) }
                case 7 {
                    fix(na, 0, 7)
                    fix(na, 4, 6)
                }
                case 8 { fix(na, 0, 8) }
                case 9 { fix(na, 0, 9) }
                case 10 {
                    fix(na, 0, 10)
                    fix(na, 1, 1)
                }
                case 11 { journal(na) }
                case 12 { fix(na, 8, 2) }
                case 13 { fixAll(na, 11, 13, 1) }
                case 14 { frame(na) }
                case 15 { fixAll(na, 0, 256, 7) }
                case 16 { fixAll(na, 0, 1024, 8) }
            }
            function drain(qh) -> next {
                for {} lt(qh, mload(0x20)) { qh := add(qh, 1) } {
                    let e := shr(192, mload(add(mload(0x40), shl(3, qh))))
                    process(shr(8, e), and(e, 0xff))
                }
                next := qh
            }

            if or(lt(calldatasize(), 0x40), iszero(eq(calldataload(0), _PAUSED))) { revert(0, 0) }
            let slots := add(shr(5, sub(calldatasize(), 0x40)), 1)
            mstore(0x00, 0x80)
            mstore(0x20, 0)
            mstore(0x40, add(0x80, shl(3, slots)))
            mstore(0x60, add(add(mload(0x40), shl(3, slots)), 0x40))
            let env := fw(calldataload(0x20), 4)
            let qh := drain(0)
            // the journal, now that every object its pointers point into has its new address
            let pe := dst(env)
            mstore(add(pe, 0x20), fw(mload(add(pe, 0x20)), 11))
            mstore(add(pe, 0x320), fw(mload(add(pe, 0x320)), 11))
            for { let f := mload(add(pe, 0x340)) } f { f := mload(dst(f)) } {
                let pf := add(dst(f), 0x220)
                mstore(pf, fw(mload(pf), 11))
            }
            qh := drain(qh)
            let out := sub(mload(0x60), 0x40)
            mstore(out, _PAUSED)
            mstore(add(out, 0x20), env)
            return(out, add(0x40, sub(mload(0x00), 0x80)))
        }
    }
}
