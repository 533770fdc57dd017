"""python -m tempograph: the `tempograph` command."""

if __name__ == "__main__":
    from tempograph.cli import main

    main(prog="python -m tempograph")
