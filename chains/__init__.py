"""Chain adapters: observe Bitcoin reserves and token supply, each reading tied to its block."""
