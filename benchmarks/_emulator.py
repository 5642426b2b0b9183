"""The emulated AWS for the benchmarks, as `make serve` runs it (switchboard.local.emulator:
moto's server with DynamoDB requests serialized, as atomic as DynamoDB's), in its own process.

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
