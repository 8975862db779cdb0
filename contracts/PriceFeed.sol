// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title PriceFeed
/// @notice A price feed with the read interface of Chainlink's AggregatorV3Interface
///         (decimals, description, version, getRoundData, latestRoundData), written to by one
///         owner. The devnet and the tests use it as the on-chain price source; the portal reads
///         it like any Chainlink feed (chains/price/feed.py).
/// @dev Each `submit` opens and answers a new round. `updatedAt` is the caller's, so that a test
///      can publish an old answer (a feed that stopped); 0 means the block's timestamp.
contract PriceFeed {
    struct Round {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
    }

    address public immutable owner;
    uint8 public immutable decimals;
    string public description;
    uint256 public constant version = 4;
    uint80 public latestRound;
    mapping(uint80 => Round) private rounds;

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    error NotOwner();
    error NoDataPresent();

    constructor(uint8 decimals_, string memory description_) {
        owner = msg.sender;
        decimals = decimals_;
        description = description_;
    }

    /// @notice Publish `answer` (scaled by 10**decimals) as a new round, stamped `updatedAt` (0: now).
    function submit(int256 answer, uint64 updatedAt) external returns (uint80 roundId) {
        if (msg.sender != owner) revert NotOwner();
        uint64 stamp = updatedAt == 0 ? uint64(block.timestamp) : updatedAt;
        roundId = latestRound + 1;
        latestRound = roundId;
        rounds[roundId] = Round(answer, stamp, stamp);
        emit AnswerUpdated(answer, roundId, stamp);
    }

    function getRoundData(uint80 roundId)
        public
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round memory r = rounds[roundId];
        if (r.updatedAt == 0) revert NoDataPresent();
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return getRoundData(latestRound);
    }
}
