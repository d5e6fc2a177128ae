#!/usr/bin/env python
"""Django's command-line utility for administrative tasks (see ``autoforge.cli``)."""

import sys


def main() -> None:
    from autoforge.cli import main as run

    run(sys.argv)


if __name__ == "__main__":
    main()
