"""`python -m portal.cli`: the `reserves` command (how `reserves run` starts its roles)."""

from portal.cli.main import main

main()
