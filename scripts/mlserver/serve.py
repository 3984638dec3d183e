"""Runs `mlserver start FOLDER` for the tests and stops it when the process that started it is
gone or after HDDNN_MLSERVER_LIFETIME seconds (default 900), so nothing is left running.

    PYTHONPATH=scripts/mlserver .venv-mlserver/bin/python scripts/mlserver/serve.py FOLDER
"""
import os
import sys
import threading
import time


def watchdog(parent: int, lifetime: float) -> None:
    started = time.monotonic()
    while os.getppid() == parent and time.monotonic() - started < lifetime:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=watchdog, args=(os.getppid(), float(os.environ.get("HDDNN_MLSERVER_LIFETIME", "900"))),
                 daemon=True).start()

from mlserver.cli import main  # noqa: E402

sys.argv = ["mlserver", "start", sys.argv[1]]
main()
