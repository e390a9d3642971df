"""`python -m localcloud.cli`: the same as `notflix`."""

from localcloud.cli import main

main()
