"""python -m demo_site [--port 0] [--stage 1]: serve the demo site until killed."""

from __future__ import annotations

import argparse
import threading

from .server import DemoSite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo_site", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--stage", type=int, default=1, choices=(1, 2, 3), help="initial stage of the site")
    args = parser.parse_args(argv)
    site = DemoSite(port=args.port, stage=args.stage)
    print(site.start(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


if __name__ == "__main__":
    main()
