"""`python -m bench serverbench`: can the corpus server keep up? Requests per second of the asyncio
server against the standard library's ThreadingHTTPServer, same pages, same client.

The client (aiohttp, keep-alive, N concurrent connections) runs in this process and the server in
its own: on a 2-core machine both compete, as they do during a crawl, so the figure is what a
crawler could get at most, not the server's capacity on an idle machine.
"""

from __future__ import annotations

import asyncio
import random
import time

from bench.corpus import Corpus
from bench.harness import ServerProcess


async def _hammer(base: str, paths: list[str], clients: int) -> tuple[int, int]:
    import aiohttp

    queue = list(paths)
    done = [0, 0]
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker():
            while queue:
                path = queue.pop()
                async with session.get(base + path) as response:
                    body = await response.read()
                    done[0] += 1
                    done[1] += len(body)

        await asyncio.gather(*(worker() for _ in range(clients)))
    return done[0], done[1]


def compare(pages: int, requests: int, clients: int) -> dict:
    corpus = Corpus(pages)
    rng = random.Random(5)
    paths = [corpus.spec(rng.randrange(pages)).path for _ in range(requests)]
    out = {"pages": pages, "requests": requests, "clients": clients}
    for name, threaded, lazy in (
        ("asyncio_prerendered", False, False),
        ("threaded_prerendered", True, False),
        ("asyncio_lazy", False, True),
    ):
        with ServerProcess(pages, threaded=threaded, lazy=lazy) as server:
            started = time.perf_counter()
            count, size = asyncio.run(_hammer(server.base, paths, clients))
            seconds = time.perf_counter() - started
        out[name] = {
            "requests_per_s": round(count / seconds, 1),
            "mb_per_s": round(size / seconds / 2**20, 1),
            "seconds": round(seconds, 2),
        }
    return out
