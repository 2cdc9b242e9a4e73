"""Run the fake Enrow API on a loopback port: `python -m fake_enrow --port 8765`."""

from __future__ import annotations

import argparse
import sys

from fake_enrow.data import (
    DEMO_API_KEY,
    DEMO_BATCH_IDS,
    DEMO_EXPIRED_ID,
    DEMO_SINGLE_SEARCH_IDS,
)
from fake_enrow.server import FakeEnrowServer


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; prints the URL, key and demo ids to use."""
    parser = argparse.ArgumentParser(prog="python -m fake_enrow", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every answer")
    parser.add_argument(
        "--api-key", default=DEMO_API_KEY, help=f"the one key accepted (default {DEMO_API_KEY})"
    )
    args = parser.parse_args(argv)
    if not args.host.startswith("127.") and args.host not in {"localhost", "::1"}:
        parser.error("the fake binds to loopback addresses only")
    server = FakeEnrowServer(
        args.host, args.port, api_keys=[args.api_key], latency=args.latency_ms / 1000
    )
    print(f"fake Enrow API on {server.url} (api_key: {args.api_key})", flush=True)
    print("demo batch ids: " + ",".join(DEMO_BATCH_IDS), flush=True)
    print(f"an expired batch id (answers 400): {DEMO_EXPIRED_ID}", flush=True)
    print("demo single search ids: " + ",".join(DEMO_SINGLE_SEARCH_IDS), flush=True)
    print("generated batches: any id gen-<label>-<results>, e.g. gen-a-3000", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
