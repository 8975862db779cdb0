// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title TransferEmitter: benchmark load for the supply monitor (not a token anyone should use).
/// @notice The constructor mints a fixed supply to HOLDER_A (one Transfer from 0x0); `emitTransfers(n)`
///         then emits n ERC-20 Transfer logs between two fixed non-zero addresses, so a replay sees
///         many events while totalSupply() never changes. Balances are not tracked.
contract TransferEmitter {
    address public constant HOLDER_A = 0x000000000000000000000000000000000000aaaa;
    address public constant HOLDER_B = 0x000000000000000000000000000000000000BbBB;
    uint256 public immutable totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 supply) {
        totalSupply = supply;
        emit Transfer(address(0), HOLDER_A, supply);
    }

    /// @notice Emit `n` Transfer logs alternating A->B and B->A, of value 1..n.
    function emitTransfers(uint256 n) external {
        for (uint256 i = 1; i <= n; ++i) {
            if (i & 1 == 1) emit Transfer(HOLDER_A, HOLDER_B, i);
            else emit Transfer(HOLDER_B, HOLDER_A, i);
        }
    }
}
