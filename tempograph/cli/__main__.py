"""python -m tempograph.cli: the `tempograph` command."""

from tempograph.cli import main

if __name__ == "__main__":
    main(prog="python -m tempograph.cli")
