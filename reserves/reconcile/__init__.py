"""Mint-to-deposit reconciliation: every mint backed by a Bitcoin deposit, every burn by a release."""
