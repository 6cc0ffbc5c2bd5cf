"""Loads from several machines into one shared warehouse: `python -m bench shared-load`.

A real PostgreSQL catalog and an S3 data path (moto's server), on loopback. N loader processes
(each a "machine" with its own staging folder and source) load K synthetic batches each, at once;
every load takes the warehouse's advisory lock. Reported: the seconds each batch held the lock,
how long loads waited for it, and batches per minute through the one warehouse, for N = 1, 2, 4.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bench.harness import ROOT
from bench.loopback_servers import postgres_server, s3_server

LOADER = """
import json, sys, time
from datetime import datetime, timedelta
from pathlib import Path
from bench.synthetic import paragraph_pool, write_batch
from warehouse.db import connect
from warehouse.loader import load_batch

db, folder, machine, batches, articles = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
pool = paragraph_pool()
out = []
for n in range(batches):
    batch = write_batch(folder / f"b{n}", articles, source=f"m{machine}", edit_every=20, pool=pool,
                        tag="a" if n == 0 else f"e{n}", base_time=datetime(2024, 7, 1) + timedelta(hours=n))
    asked = time.perf_counter()
    with connect(db, wait=600) as con:
        got = time.perf_counter()
        load_batch(con, batch)
    done = time.perf_counter()
    out.append({"waited_s": round(got - asked, 3), "held_s": round(done - got, 3)})
print(json.dumps(out))
"""


def shared_load(work: Path, machines=(1, 2, 4), batches: int = 5, articles: int = 500) -> dict:
    results = {}
    with postgres_server() as conninfo, s3_server() as aws:
        env = {**os.environ, **aws, "PRESSWATCH_LAKE_DATA": "s3://presswatch/lake/"}
        db = f"ducklake:postgres:{conninfo}"
        for n in machines:
            started = time.perf_counter()
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        LOADER,
                        db,
                        str(work / f"n{n}-m{m}"),
                        f"{n}-{m}",
                        str(batches),
                        str(articles),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for m in range(n)
            ]
            outputs = [p.communicate()[0] for p in procs]
            failed = [p.returncode for p in procs if p.returncode]
            if failed:
                raise RuntimeError(f"{len(failed)} of {n} loader processes failed (exit {failed[0]})")
            loads = [load for output in outputs for load in json.loads(output.strip().splitlines()[-1])]
            elapsed = time.perf_counter() - started
            held = sorted(load["held_s"] for load in loads)
            waited = sorted(load["waited_s"] for load in loads)
            results[f"{n}_machines"] = {
                "batches": len(loads),
                "articles_per_batch": articles,
                "elapsed_s": round(elapsed, 1),
                "lock_held_median_s": held[len(held) // 2] if held else None,
                "lock_held_max_s": held[-1] if held else None,
                "wait_median_s": waited[len(waited) // 2] if waited else None,
                "wait_max_s": waited[-1] if waited else None,
                "batches_per_min": round(len(loads) / elapsed * 60, 1) if elapsed else None,
            }
    return results


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m bench.shared_load", description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--out", default="bench/results-shared-load.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pw-shared-") as work:
        results = {
            "started_at": datetime.now().isoformat(timespec="seconds"),
            "command": "python -m bench.shared_load " + " ".join(argv or sys.argv[1:]),
            "loads": shared_load(Path(work), batches=args.batches, articles=args.articles),
        }
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results["loads"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
