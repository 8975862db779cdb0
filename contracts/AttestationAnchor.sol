// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title AttestationAnchor
/// @notice Checks reserves attestations by their EIP-712 signature and records the final ones on chain.
/// @dev The engine signs, besides its BIP-340 signatures, the typed data
///      Attestation(bytes32 id,uint64 sequence,uint8 status,uint256 ratioBp,uint256 reservesSat,
///                  uint256 supplySat,uint64 issuedAt)
///      in the domain {name: "Reserves attestation", version: "1"} (no chainId, no verifyingContract:
///      the signature states a fact about an off-chain document and is valid on every chain).
///      status: 0 healthy, 1 warning, 2 undercollateralized, 3 stale (ratioBp is 0 without a ratio).
///      `signer()` is a view any contract can call; `anchor()` records an attestation the engine
///      signed, in sequence order, so the chain of ids published here only ever moves forward.
///      Only `publisher` (the operator's anchoring account) may anchor: the engine signs every
///      attestation before its guardians do, so the signature alone does not make one final; the
///      portal anchors an attestation only once it is final. A record here therefore says: the
///      engine signed it and the operator published it as final.
contract AttestationAnchor {
    bytes32 public constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version)");
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(bytes32 id,uint64 sequence,uint8 status,uint256 ratioBp,uint256 reservesSat,uint256 supplySat,uint64 issuedAt)"
    );
    // Half the secp256k1 order: signatures with a larger s are the malleable twin (EIP-2).
    uint256 private constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    struct Attestation {
        bytes32 id;
        uint64 sequence;
        uint8 status;
        uint256 ratioBp;
        uint256 reservesSat;
        uint256 supplySat;
        uint64 issuedAt;
    }

    struct Record {
        uint64 sequence;
        uint8 status;
        uint256 ratioBp;
        uint64 issuedAt;
        uint64 anchoredAt;
    }

    bytes32 public immutable DOMAIN_SEPARATOR;
    address public immutable engine;
    address public immutable publisher;
    mapping(bytes32 => Record) public records;
    bytes32 public latestId;
    uint64 public latestSequence;
    bool public anchoredAny;

    event Anchored(bytes32 indexed id, uint64 indexed sequence, uint8 status, uint256 ratioBp);

    error NotPublisher(address caller);
    error WrongSigner(address recovered);
    error BadSignature();
    error NotNewer(uint64 sequence, uint64 latest);

    constructor(address engine_, address publisher_) {
        engine = engine_;
        publisher = publisher_;
        DOMAIN_SEPARATOR = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("Reserves attestation"), keccak256("1")));
    }

    function digest(Attestation calldata a) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(ATTESTATION_TYPEHASH, a.id, a.sequence, a.status, a.ratioBp, a.reservesSat, a.supplySat, a.issuedAt)
        );
        return keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR, structHash));
    }

    /// @notice The address that signed `a` (65 bytes r || s || v), or address(0) for an unusable signature.
    function signer(Attestation calldata a, bytes calldata sig) public view returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (uint256(s) > HALF_ORDER || (v != 27 && v != 28)) return address(0);
        return ecrecover(digest(a), v, r, s);
    }

    /// @notice Record attestation `a` (publisher only) when the engine signed it and it is newer than the last one.
    function anchor(Attestation calldata a, bytes calldata sig) external {
        if (msg.sender != publisher) revert NotPublisher(msg.sender);
        address recovered = signer(a, sig);
        if (recovered == address(0)) revert BadSignature();
        if (recovered != engine) revert WrongSigner(recovered);
        if (anchoredAny && a.sequence <= latestSequence) revert NotNewer(a.sequence, latestSequence);
        records[a.id] = Record(a.sequence, a.status, a.ratioBp, a.issuedAt, uint64(block.timestamp));
        latestId = a.id;
        latestSequence = a.sequence;
        anchoredAny = true;
        emit Anchored(a.id, a.sequence, a.status, a.ratioBp);
    }
}
