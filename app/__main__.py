"""``python -m app``: the same as the ``hydrascope`` command."""

from app.cli import run

if __name__ == "__main__":
    run()
