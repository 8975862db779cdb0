"""Liquidity providers: their obligation and collateral read at confirmed blocks, valued, decided, recorded."""
