// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {AgentRoles, TransferCodes, IIdentityRegistry, ICompliance, IERC1643} from "./RWACommon.sol";
import {IERC7943Fungible} from "./IERC7943.sol";
import {RWATokenBase} from "./RWATokenBase.sol";

/// @title RWATokenExtension
/// @notice The less frequent functions of every RWA asset, run by the asset's `fallback` through
/// DELEGATECALL on the asset's own storage (see RWAToken and RWATokenBase): the issuer's
/// administration, batch forms, forced transfer, recovery, splits, ERC-1643 documents,
/// ERC-165, ERC-7943 (uRWA) and ERC-2612 (permit). A predeploy at `RWA_TOKEN_EXTENSION`; called directly
/// it only sees its own empty storage (no owner, no agents), so it can change nothing of an asset.
///
/// ERC-7943 beside the reason codes: `canSend`/`canReceive` are account eligibility (not frozen,
/// KYC verified by a provider the asset trusts; a receiver must also meet the asset's jurisdiction
/// and investor-category rules), `canTransfer` is true exactly when `transferStatus` answers 0 or
/// only "insufficient balance" (the standard leaves balance checks to ERC-20), and
/// `setFrozenTokens` sets the absolute frozen amount, which may exceed the balance (later
/// receipts stay frozen). `forcedTransfer(from, to, amount)` is the standard's form of the
/// four-argument `forcedTransfer`, recorded with the legal reference `ERC7943_REFERENCE`; both
/// emit the standard's `ForcedTransfer(from, to, amount)` as well as Lantau's detailed one.
///
/// ERC-2612: `permit` approves by an EIP-712 signature of the owner over
/// `Permit(owner, spender, value, nonce, deadline)`, domain `{name: the token's name, version "1",
/// chainId, verifyingContract: the asset}`, computed per call (a renamed asset signs under its
/// new name).
contract RWATokenExtension is RWATokenBase, IERC165, IERC1643 {
    using Checkpoints for Checkpoints.Trace208;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 public constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    /// @notice The legal reference a forced transfer through ERC-7943's three-argument form records.
    string public constant ERC7943_REFERENCE = "ERC-7943 forcedTransfer";

    /// @notice ERC-7943: tokens taken from `from` and given to `to` by an agent.
    event ForcedTransfer(address indexed from, address indexed to, uint256 amount);

    /// @notice A permit past its deadline (unix seconds).
    error ERC2612ExpiredSignature(uint256 deadline);
    /// @notice The permit was not signed by `owner` (wrong key, wrong nonce, or altered fields).
    error ERC2612InvalidSigner(address signer, address owner);

    // --- compliance views (reason codes and ERC-7943) -------------------------------------------

    /// @notice Whether `transfer(to, amount)` by `from` would pass right now: a reason code
    /// (`TransferCodes`, 0 = allowed) and the text a transfer would revert with.
    function transferStatus(address from, address to, uint256 amount)
        external
        view
        returns (uint8 code, string memory reason)
    {
        code = _transferCode(from, to, amount, false);
        reason = _reason(code);
    }

    /// @notice ERC-7943: whether the asset's permissioned rules allow this transfer now (freeze,
    /// frozen tokens, pause, KYC and trusted providers, compliance rules); a balance too small is
    /// not a permissioned rule and answers as if it were enough.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool allowed) {
        return _transferCode(from, to, amount, true) == TransferCodes.OK;
    }

    /// @notice ERC-7943: `account` is not frozen and is KYC verified by a provider the asset trusts.
    function canSend(address account) external view returns (bool allowed) {
        if (isFrozen[account]) return false;
        address agent = identityRegistry.verifiedAgent(account);
        return agent != address(0) && (trustedKycAgentCount == 0 || isTrustedKycAgent[agent]);
    }

    /// @notice ERC-7943: `account` may receive: not frozen, KYC verified by a trusted provider, and
    /// within the asset's jurisdiction and investor-category rules.
    function canReceive(address account) external view returns (bool allowed) {
        if (isFrozen[account] || _receiverCode(account) != TransferCodes.OK) return false;
        (uint8 code,) = compliance.canTransfer(address(this), address(0), account, 0);
        return code == TransferCodes.OK;
    }

    /// @notice ERC-7943: the frozen amount of `account` (split-adjusted; may exceed its balance).
    function getFrozenTokens(address account) external view returns (uint256 amount) {
        return frozenTokens(account);
    }

    /// @notice ERC-7943: sets the frozen amount of `account` to `amount` (may exceed its balance).
    function setFrozenTokens(address account, uint256 amount)
        external
        onlyRole(AgentRoles.FREEZE)
        returns (bool result)
    {
        uint256 frozen = frozenTokens(account);
        _setFrozen(account, amount);
        if (amount > frozen) emit TokensFrozen(account, amount - frozen);
        else if (amount < frozen) emit TokensUnfrozen(account, frozen - amount);
        return true;
    }

    /// @notice ERC-7943's forced transfer: the four-argument `forcedTransfer` with the legal
    /// reference `ERC7943_REFERENCE` (same role, same receiver rules).
    function forcedTransfer(address from, address to, uint256 amount)
        external
        onlyRole(AgentRoles.TRANSFER)
        returns (bool result)
    {
        _forcedTransfer(from, to, amount, ERC7943_REFERENCE);
        return true;
    }

    // --- ERC-2612 permit -------------------------------------------------------------------------

    /// @notice Sets `allowance[owner][spender] = value` from `owner`'s EIP-712 signature, once
    /// (the owner's nonce moves on), until `deadline`.
    function permit(address owner_, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
    {
        if (block.timestamp > deadline) revert ERC2612ExpiredSignature(deadline);
        if (spender == address(0)) revert ERC20InvalidSpender(spender);
        uint256 nonce = nonces[owner_];
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner_, spender, value, nonce, deadline));
        (address signer, ECDSA.RecoverError err,) =
            ECDSA.tryRecover(MessageHashUtils.toTypedDataHash(DOMAIN_SEPARATOR(), structHash), v, r, s);
        if (err != ECDSA.RecoverError.NoError || signer != owner_) revert ERC2612InvalidSigner(signer, owner_);
        nonces[owner_] = nonce + 1;
        allowance[owner_][spender] = value;
        emit IERC20.Approval(owner_, spender, value);
    }

    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256("1"), block.chainid, address(this)));
    }

    /// @notice EIP-5267: the permit domain, for wallets and SDKs.
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name_,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"0f", name, "1", block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    // --- administration, batches, enforcement --------------------------------------------------

    /// @notice Every record time ever scheduled, ascending.
    function recordTimes() external view returns (uint48[] memory) {
        return _recordTimes;
    }

    function splitCount() external view returns (uint256) {
        return _splits.length();
    }

    function batchBurn(address[] calldata from, uint256[] calldata amounts) external onlyRole(AgentRoles.SUPPLY) {
        _forEachAmount(from, amounts, _burn);
    }

    function batchSetAddressFrozen(address[] calldata accounts, bool[] calldata frozen)
        external
        onlyRole(AgentRoles.FREEZE)
    {
        if (accounts.length != frozen.length) revert LengthMismatch(accounts.length, frozen.length);
        for (uint256 i; i < accounts.length; ++i) {
            _setAddressFrozen(accounts[i], frozen[i]);
        }
    }

    function batchFreezePartialTokens(address[] calldata accounts, uint256[] calldata amounts)
        external
        onlyRole(AgentRoles.FREEZE)
    {
        _forEachAmount(accounts, amounts, _freezePartial);
    }

    /// @notice Moves tokens without the holder's consent (court order, error correction), stating
    /// its legal basis (`legalReference`, in the event). Ignores pause, the sender's freeze, lock-up
    /// and daily limits; the receiver must be KYC verified by a provider the asset trusts and must
    /// pass the asset's receiver rules (jurisdiction, category, holders, maximum balance) unless the
    /// caller also holds the `OVERRIDE` role. Frozen tokens of `from` are released as needed.
    function forcedTransfer(address from, address to, uint256 amount, string calldata legalReference)
        external
        onlyRole(AgentRoles.TRANSFER)
        returns (bool)
    {
        _forcedTransfer(from, to, amount, legalReference);
        return true;
    }

    /// @notice Several forced transfers under one legal reference (one order, many accounts).
    function batchForcedTransfer(
        address[] calldata from,
        address[] calldata to,
        uint256[] calldata amounts,
        string calldata legalReference
    ) external onlyRole(AgentRoles.TRANSFER) {
        if (from.length != to.length) revert LengthMismatch(from.length, to.length);
        if (from.length != amounts.length) revert LengthMismatch(from.length, amounts.length);
        for (uint256 i; i < from.length; ++i) {
            _forcedTransfer(from[i], to[i], amounts[i], legalReference);
        }
    }

    function _forcedTransfer(address from, address to, uint256 amount, string memory legalReference) internal {
        if (bytes(legalReference).length == 0) revert LegalReferenceRequired();
        _requireEligibleReceiver(to);
        (uint8 code,) = compliance.canTransfer(address(this), address(0), to, amount);
        bool overridden = code != TransferCodes.OK;
        if (overridden && agentRoles[msg.sender] & AgentRoles.OVERRIDE == 0) {
            revert TransferNotCompliant(code, _reason(code));
        }
        uint256 balance = balanceOf(from);
        if (amount > balance) revert ERC20InsufficientBalance(from, balance, amount);
        uint256 fineAmount = amount * _unit();
        _releaseFrozen(from, fineAmount);
        _move(from, to, fineAmount, amount, _fine(_balances[from]));
        emit ForcedTransfer(from, to, amount, msg.sender, legalReference, overridden);
        emit ForcedTransfer(from, to, amount);
    }

    /// @notice Recovers a lost wallet after the registry did (`IdentityRegistry.recoverIdentity`
    /// moved the record to `newWallet`): moves its whole balance, its frozen part and its address
    /// freeze to `newWallet`, which must be verified by a provider the asset trusts.
    function recoveryAddress(address lostWallet, address newWallet)
        external
        onlyRole(AgentRoles.RECOVERY)
        returns (bool)
    {
        address recoveredTo = identityRegistry.recoveredWallet(lostWallet);
        if (recoveredTo != newWallet) revert RecoveryNotInRegistry(lostWallet, newWallet, recoveredTo);
        _requireEligibleReceiver(newWallet);
        uint256 fine = _fine(_balances[lostWallet]);
        if (fine == 0) revert NothingToRecover(lostWallet);
        uint256 held = heldBalanceOf(lostWallet);
        if (held != 0) revert TokensOnHold(lostWallet, held);
        uint256 balance = fine / _unit();
        uint256 frozenFine = _blockedFine(lostWallet);
        _move(lostWallet, newWallet, fine, balance, fine); // with any fraction a consolidation left
        if (frozenFine != 0) {
            uint256 frozen = _ceilUnits(frozenFine);
            _setFrozenFine(lostWallet, 0);
            emit TokensUnfrozen(lostWallet, frozen);
            _setFrozenFine(newWallet, _blockedFine(newWallet) - _splitAdjusted(_held[newWallet]) + frozenFine);
            emit TokensFrozen(newWallet, frozen);
        }
        if (isFrozen[lostWallet]) {
            isFrozen[newWallet] = true;
            emit AddressFrozen(newWallet, true, msg.sender);
        }
        emit RecoverySuccess(lostWallet, newWallet, balance, msg.sender);
        return true;
    }

    /// @notice Schedules a forward split: from `effectiveTime` (strictly in the future, after any
    /// split already scheduled) every balance, frozen amount and the supply are `ratio` times
    /// larger, exactly. 1-for-10 is `ratio = 10`.
    function scheduleSplit(uint256 ratio, uint48 effectiveTime) external onlyRole(AgentRoles.CORPORATE) {
        (uint256 multiplier, uint256 divisor) = _scheduleSplit(ratio, effectiveTime);
        multiplier *= ratio;
        // The supply must still fit a checkpoint after the split (later mints are checked on write).
        SafeCast.toUint208(_fine(_supply) * (multiplier / multiplierAt(clock())));
        _splits.push(effectiveTime, _packSplit(multiplier, divisor));
        emit SplitScheduled(ratio, effectiveTime, multiplier, msg.sender);
    }

    /// @notice Schedules a consolidation (reverse split): from `effectiveTime` (as for a split)
    /// `ratio` units make one; 10-into-1 is `ratio = 10`. What a holder keeps below one unit
    /// is its `fractionOf` (see RWAToken), burnt against cash by `burnFraction`.
    function scheduleConsolidation(uint256 ratio, uint48 effectiveTime) external onlyRole(AgentRoles.CORPORATE) {
        (uint256 multiplier, uint256 divisor) = _scheduleSplit(ratio, effectiveTime);
        divisor *= ratio;
        _splits.push(effectiveTime, _packSplit(multiplier, divisor));
        emit ConsolidationScheduled(ratio, effectiveTime, divisor, msg.sender);
    }

    /// @dev The checks a split and a consolidation share; returns the multiplier and divisor in force
    /// before it (those of the last one scheduled).
    function _scheduleSplit(uint256 ratio, uint48 effectiveTime) private view returns (uint256 multiplier, uint256 divisor) {
        if (ratio < 2 || ratio > MAX_SPLIT_RATIO) revert InvalidSplitRatio(ratio);
        if (_bond.faceValuePerTokenWei != 0) revert SplitOnBond(_bond.faceValuePerTokenWei);
        (bool exists, uint48 lastTime,) = _splits.latestCheckpoint();
        uint48 notBefore = exists && lastTime > clock() ? lastTime : clock();
        if (effectiveTime <= notBefore) revert SplitNotInFuture(effectiveTime, notBefore + 1);
        return (multiplierAt(type(uint48).max), divisorAt(type(uint48).max));
    }

    function _packSplit(uint256 multiplier, uint256 divisor) private pure returns (uint208) {
        return uint208(SafeCast.toUint104(multiplier)) | (uint208(SafeCast.toUint104(divisor)) << uint208(DIVISOR_SHIFT));
    }

    /// @notice Withdraws the last scheduled split while it is not yet effective.
    function cancelScheduledSplit() external onlyRole(AgentRoles.CORPORATE) {
        (bool exists, uint48 lastTime,) = _splits.latestCheckpoint();
        if (!exists || lastTime <= clock()) revert NoScheduledSplit();
        _splits._checkpoints.pop();
        emit SplitCancelled(lastTime, msg.sender);
    }

    /// @notice Adds an agent with the operational roles (`AgentRoles.OPERATIONS`: supply, freeze,
    /// transfer manager, recovery, corporate actions); `setAgentRoles` narrows or widens them.
    function addAgent(address agent) external onlyOwner {
        _addAgent(agent, AgentRoles.OPERATIONS);
    }

    function removeAgent(address agent) external onlyOwner {
        if (agentRoles[agent] == 0) revert AgentAlreadySet(agent, false);
        agentRoles[agent] = 0;
        emit AgentRolesSet(agent, 0);
        emit AgentRemoved(agent);
    }

    /// @notice Sets exactly which `AgentRoles` bits `agent` holds (0 removes it as an agent).
    function setAgentRoles(address agent, uint8 roles) external onlyOwner {
        if (roles & ~AgentRoles.ALL != 0) revert InvalidAgentRoles(roles);
        if (agentRoles[agent] == 0 && roles != 0) emit AgentAdded(agent);
        if (agentRoles[agent] != 0 && roles == 0) emit AgentRemoved(agent);
        agentRoles[agent] = roles;
        emit AgentRolesSet(agent, roles);
    }

    /// @notice Trusts (or stops trusting) the records of registry agent `kycAgent` for this asset.
    /// While at least one is trusted, every holder and receiver must be verified by one of them.
    function setTrustedKycAgent(address kycAgent, bool trusted) external onlyOwner {
        if (kycAgent == address(0)) revert ZeroAddress("kycAgent");
        if (isTrustedKycAgent[kycAgent] == trusted) revert TrustedKycAgentAlreadySet(kycAgent, trusted);
        isTrustedKycAgent[kycAgent] = trusted;
        if (trusted) trustedKycAgentCount += 1;
        else trustedKycAgentCount -= 1;
        emit TrustedKycAgentSet(kycAgent, trusted);
    }

    function setIdentityRegistry(address registry) external onlyOwner {
        if (registry == address(0)) revert ZeroAddress("identityRegistry");
        identityRegistry = IIdentityRegistry(registry);
        emit IdentityRegistrySet(registry);
    }

    function setCompliance(address newCompliance) external onlyOwner {
        if (newCompliance == address(0)) revert ZeroAddress("compliance");
        compliance = ICompliance(newCompliance);
        emit ComplianceSet(newCompliance);
    }

    function setName(string calldata newName) external onlyOwner {
        name = newName;
        _tokenInformationUpdated();
    }

    function setSymbol(string calldata newSymbol) external onlyOwner {
        symbol = newSymbol;
        _tokenInformationUpdated();
    }

    function _tokenInformationUpdated() internal {
        emit TokenInformationUpdated(name, symbol);
    }

    /// @notice Caps the supply (0: no cap); not below today's supply. Splits scale balances, not the cap.
    function setMaxSupply(uint256 newMaxSupply) external onlyOwner {
        uint256 supply = totalSupply();
        if (newMaxSupply != 0 && newMaxSupply < supply) revert InvalidMaxSupply(newMaxSupply, supply);
        maxSupply = newMaxSupply;
        emit MaxSupplySet(newMaxSupply);
    }

    /// @notice Adds or replaces document `docName` (e.g. "prospectus", "warehouse-receipt").
    function setDocument(bytes32 docName, string calldata uri, bytes32 documentHash)
        external
        onlyOwnerOrRole(AgentRoles.CORPORATE)
    {
        if (docName == bytes32(0) || bytes(uri).length == 0) revert InvalidDocument(docName);
        Document storage d = _documents[docName];
        if (d.position == 0) {
            _documentNames.push(docName);
            d.position = uint32(_documentNames.length);
        }
        d.uri = uri;
        d.documentHash = documentHash;
        d.lastModified = uint64(block.timestamp);
        emit DocumentUpdated(docName, uri, documentHash);
    }

    function removeDocument(bytes32 docName) external onlyOwnerOrRole(AgentRoles.CORPORATE) {
        Document memory d = _documents[docName];
        if (d.position == 0) revert DocumentNotFound(docName);
        bytes32 last = _documentNames[_documentNames.length - 1];
        _documentNames[d.position - 1] = last;
        _documents[last].position = d.position;
        _documentNames.pop();
        delete _documents[docName];
        emit DocumentRemoved(docName, d.uri, d.documentHash);
    }

    function getDocument(bytes32 docName) external view returns (string memory, bytes32, uint256) {
        Document storage d = _documents[docName];
        if (d.position == 0) revert DocumentNotFound(docName);
        return (d.uri, d.documentHash, d.lastModified);
    }

    function getAllDocuments() external view returns (bytes32[] memory) {
        return _documentNames;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC20).interfaceId
            || interfaceId == type(IERC20Metadata).interfaceId || interfaceId == type(IERC1643).interfaceId
            || interfaceId == type(IERC6372).interfaceId || interfaceId == type(IERC7943Fungible).interfaceId
            || interfaceId == type(IERC20Permit).interfaceId;
    }

    /// @dev With `assumeBalance`, a balance below `amount` answers as if it were `amount`.
    function _transferCode(address from, address to, uint256 amount, bool assumeBalance) private view returns (uint8 code) {
        uint256 unit = _unit();
        uint256 fromFine = _fine(_balances[from]);
        if (assumeBalance && fromFine / unit < amount) fromFine = amount * unit + fromFine % unit;
        code = _tokenChecks(from, to, amount, fromFine, unit);
        if (code == TransferCodes.OK) (code,) = compliance.canTransfer(address(this), from, to, amount);
    }
}
