"""tools: the nfos command (tools/nfos_cli.py) and its helpers; a package
of the one import root, the repository (./nfos runs `python3 -m tools.nfos_cli`)."""
