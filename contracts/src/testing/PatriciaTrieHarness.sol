// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {NodeSet} from "../L1/proof/NodeSet.sol";
import {PatriciaTrie} from "../L1/proof/PatriciaTrie.sol";

/// @notice External wrapper over `PatriciaTrie` for tests only. `runSequences` runs many sequences
///         of updates in one `eth_call`, each through an external self-call (fresh memory, and a
///         revert is recorded, not fatal), returning the root after every update.
contract PatriciaTrieHarness {
    /// @notice Updates (an empty value deletes) applied in order from `root` over `nodes`, then
    ///         `probeKeys` read from the final trie.
    struct Sequence {
        bytes32 root;
        bytes[] nodes;
        bytes[] keys;
        bytes[] values;
        bytes[] probeKeys;
        bool secure;
    }

    struct Outcome {
        bool ok;
        bytes32[] roots;
        bytes[] probeValues;
        bytes revertData;
    }

    function runSequences(Sequence[] calldata sequences) external view returns (Outcome[] memory outcomes) {
        outcomes = new Outcome[](sequences.length);
        for (uint256 i = 0; i < sequences.length; ++i) {
            try this.runSequence(sequences[i]) returns (bytes32[] memory roots, bytes[] memory probeValues) {
                outcomes[i] = Outcome(true, roots, probeValues, "");
            } catch (bytes memory reason) {
                outcomes[i] = Outcome(false, new bytes32[](0), new bytes[](0), reason);
            }
        }
    }

    function runSequence(Sequence memory sequence)
        public
        pure
        returns (bytes32[] memory roots, bytes[] memory probeValues)
    {
        NodeSet.Set memory set = NodeSet.fromNodes(sequence.nodes, sequence.keys.length * 8);
        roots = new bytes32[](sequence.keys.length);
        bytes32 root = sequence.root;
        for (uint256 i = 0; i < sequence.keys.length; ++i) {
            root = sequence.secure
                ? PatriciaTrie.secureUpdate(set, root, sequence.keys[i], sequence.values[i])
                : PatriciaTrie.update(set, root, sequence.keys[i], sequence.values[i]);
            roots[i] = root;
        }
        probeValues = new bytes[](sequence.probeKeys.length);
        for (uint256 i = 0; i < sequence.probeKeys.length; ++i) {
            probeValues[i] = sequence.secure
                ? PatriciaTrie.secureGet(set, root, sequence.probeKeys[i])
                : PatriciaTrie.get(set, root, sequence.probeKeys[i]);
        }
    }

    function get(bytes32 root, bytes[] memory nodes, bytes memory key, bool secure) external pure returns (bytes memory) {
        NodeSet.Set memory set = NodeSet.fromNodes(nodes, 0);
        return secure ? PatriciaTrie.secureGet(set, root, key) : PatriciaTrie.get(set, root, key);
    }

    function update(bytes32 root, bytes[] memory nodes, bytes memory key, bytes memory value, bool secure)
        external
        pure
        returns (bytes32)
    {
        NodeSet.Set memory set = NodeSet.fromNodes(nodes, 16);
        return secure ? PatriciaTrie.secureUpdate(set, root, key, value) : PatriciaTrie.update(set, root, key, value);
    }

    function remove(bytes32 root, bytes[] memory nodes, bytes memory key, bool secure) external pure returns (bytes32) {
        NodeSet.Set memory set = NodeSet.fromNodes(nodes, 16);
        return secure ? PatriciaTrie.secureRemove(set, root, key) : PatriciaTrie.remove(set, root, key);
    }

    /// @notice Gas of building the node set (`setGas`) and of one secure get (op 0), update (op 1)
    ///         or remove (op 2) alone (`opGas`), the witness already in memory.
    function measureSecure(bytes32 root, bytes[] memory nodes, bytes memory key, bytes memory value, uint256 op)
        external
        view
        returns (bytes32 result, uint256 setGas, uint256 opGas)
    {
        uint256 start = gasleft();
        NodeSet.Set memory set = NodeSet.fromNodes(nodes, 16);
        uint256 middle = gasleft();
        if (op == 0) {
            result = keccak256(PatriciaTrie.secureGet(set, root, key));
        } else if (op == 1) {
            result = PatriciaTrie.secureUpdate(set, root, key, value);
        } else {
            result = PatriciaTrie.secureRemove(set, root, key);
        }
        opGas = middle - gasleft();
        setGas = start - middle;
    }
}
