"""The emulated AWS for the benchmarks, as `make serve` runs it (switchboard.local.emulator:
its own process, local/emulator_server.py, which this one starts and stops), for a gateway
that attaches to it with --aws-endpoint, so that the gateway's CPU is measured alone.

    python benchmarks/_emulator.py --port 5000      # until Ctrl-C
"""

from __future__ import annotations

import argparse
import signal
import threading

from switchboard.local.emulator import Emulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    emulator = Emulator.start(port=args.port)
    print(f"emulator at {emulator.endpoint}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    emulator.stop()


if __name__ == "__main__":
    main()
