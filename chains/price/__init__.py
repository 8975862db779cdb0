"""Price sources: exchange tickers over HTTP and Chainlink-compatible feeds read through web3."""
