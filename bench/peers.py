"""The peers presswatch is measured against, over the same pages.

* bare `trafilatura.extract(html, with_metadata=True)` on pages already in memory, decoded as
  presswatch decodes them: in one process and in two (fork, so no page is pickled): the ceiling;
* the trafilatura command line fetching the same loopback URLs with its politeness and SSRF
  checks off, many download threads, its URLs spread over several ports of the server (it
  fetches one URL per host and port at a time: with one port its threads would idle).
"""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.corpus import Corpus
from bench.harness import VENV_BIN, env

_PAGES: list[str] = []  # filled before the pool forks: children read them without pickling


def _extract(i: int) -> bool:
    import trafilatura

    return trafilatura.extract(_PAGES[i], with_metadata=True) is not None


def load_pages(corpus: Corpus, count: int) -> list[str]:
    return [corpus.html_text(i) for i in range(count)]


def bare_trafilatura(pages: list[str], processes: int) -> dict:
    """Pages per second of bare extraction; extraction is warmed up first (stoplists, imports)."""
    import trafilatura

    global _PAGES
    _PAGES = pages
    for html in pages[:3]:
        trafilatura.extract(html, with_metadata=True)
    zh = next((h for h in pages if 'lang="zh-CN"' in h[:200]), None)
    if zh:
        trafilatura.extract(zh, with_metadata=True)
    if processes == 1:
        started = time.perf_counter()
        ok = sum(_extract(i) for i in range(len(pages)))
        seconds = time.perf_counter() - started
    else:
        context = multiprocessing.get_context("fork")
        with context.Pool(processes) as pool:
            pool.map(_noop, range(processes))  # workers up before the clock starts
            started = time.perf_counter()
            ok = sum(pool.imap_unordered(_extract, range(len(pages)), chunksize=4))
            seconds = time.perf_counter() - started
    _PAGES = []
    return {
        "pages": len(pages),
        "extracted": ok,
        "seconds": round(seconds, 3),
        "pages_per_s": round(len(pages) / seconds, 2),
        "processes": processes,
    }


def _noop(_):
    return None


def trafilatura_config(path: Path) -> Path:
    """trafilatura's own settings.cfg with the waits and the loopback block off."""
    import trafilatura

    text = (Path(trafilatura.__file__).parent / "settings.cfg").read_text(encoding="utf-8")
    replaced = []
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip()
        if key == "SLEEP_TIME":
            line = "SLEEP_TIME = 0"
        elif key == "SSRF_PROTECTION":
            line = "SSRF_PROTECTION = off"
        elif key == "EXTRACTION_TIMEOUT":
            line = "EXTRACTION_TIMEOUT = 0"
        replaced.append(line)
    path.write_text("\n".join(replaced) + "\n", encoding="utf-8")
    return path


def trafilatura_cli(corpus: Corpus, count: int, ports: list[int], work: Path, threads: int = 16) -> dict:
    """`trafilatura --input-file urls.txt` over `count` pages, JSON with metadata, to a file."""
    work.mkdir(parents=True, exist_ok=True)
    urls = work / "urls.txt"
    urls.write_text("".join(f"http://127.0.0.1:{ports[i % len(ports)]}{corpus.spec(i).path}\n" for i in range(count)))
    config = trafilatura_config(work / "trafilatura.cfg")
    out = work / "trafilatura-out.jsonl"
    exe = shutil.which("trafilatura", path=str(VENV_BIN)) or "trafilatura"
    command = [
        exe,
        "--input-file",
        str(urls),
        "--parallel",
        str(threads),
        "--with-metadata",
        "--json",
        "--config-file",
        str(config),
    ]
    started = time.perf_counter()
    with open(out, "wb") as stdout, open(work / "trafilatura-err.log", "wb") as stderr:
        code = subprocess.run(command, stdout=stdout, stderr=stderr, env=env(), cwd=work).returncode
    seconds = time.perf_counter() - started
    extracted = sum(1 for line in out.read_bytes().splitlines() if line.strip())
    return {
        "pages": count,
        "extracted": extracted,
        "seconds": round(seconds, 3),
        "pages_per_s": round(count / seconds, 2),
        "threads": threads,
        "ports": len(ports),
        "exit": code,
        "command": " ".join([Path(command[0]).name, *command[1:]]).replace(str(work) + "/", ""),
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use python -m bench run")
