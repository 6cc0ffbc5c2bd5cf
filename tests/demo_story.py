"""The demo site's story, crawled once per test session and copied by the tests that read it.

Many tests need "the demo warehouse after the first crawl" or "... after the site's edit and
deletion": instead of each crawling the site again, they copy a snapshot of a pipeline folder
(warehouse, data folder with the WARC archive and loaded batches, registry) taken after that step.
The steps are built in order, on demand, by whichever pytest-xdist worker asks first (under a file
lock in the session's shared temporary folder), each against a demo site on the same port as the
steps before it, so that every snapshot holds the same URLs. A copy is a folder of the test's own:
writing to it never touches the snapshot or another test.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from demo_site import DemoSite, demo_registry
from tests.conftest import Pipeline, crawl_in_parallel, make_pipeline
from warehouse.db import connect

# (name, the site's stage for that crawl): every outlet crawled once per step.
STEPS = (("stage1", 1), ("stage1-again", 1), ("stage2", 2), ("stage2-again", 2), ("stage3", 3))
_STATE = "story.json"


@dataclass(frozen=True)
class DemoStory:
    """The story's shared folder; `copy(step, dest)` gives a Pipeline on a copy of that step's snapshot."""

    folder: Path

    def copy(self, step: str, dest: Path) -> Pipeline:
        snapshot = self._built(step)
        shutil.copytree(snapshot, dest, dirs_exist_ok=True)
        pipeline = make_pipeline(dest)
        with connect(pipeline.db) as con:  # crawled from the copy's registry, as if the copy had crawled
            con.execute("UPDATE sources SET registry = ?", [str(pipeline.settings.registry.resolve())])
        return pipeline

    def base_url(self, step: str = "stage1") -> str:
        """The URL of the site the story crawled (it runs only while a step is crawled)."""
        self._built(step)
        return self._state()["base_url"]

    def results(self, step: str) -> list[dict]:
        """What each batch of that step's crawl loaded: source and counts, as LoadResult had them."""
        self._built(step)
        return self._state()["results"][step]

    @contextmanager
    def site(self, stage: int) -> Iterator[DemoSite]:
        """The demo site at `stage` on the story's port, so that a copy can be crawled again (one at a time)."""
        self._built("stage1")
        with open(self.folder / "story.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with DemoSite(port=self._state()["port"], stage=stage) as site:
                yield site

    def _state(self) -> dict:
        path = self.folder / _STATE
        return json.loads(path.read_text()) if path.exists() else {"built": [], "results": {}}

    def _built(self, step: str) -> Path:
        names = [name for name, _ in STEPS]
        if step not in names:
            raise ValueError(f"no story step {step!r}: one of {names}")
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "story.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self._state()
            for name, stage in STEPS[: names.index(step) + 1]:
                if name not in state["built"]:
                    state = self._crawl(name, stage, state)
        return self.folder / step

    def _crawl(self, name: str, stage: int, state: dict) -> dict:
        work = self.folder / "work"
        work.mkdir(exist_ok=True)
        with DemoSite(port=state.get("port", 0)) as site:  # the earlier steps' port: the same URLs
            pipeline = make_pipeline(work).use_registry(demo_registry(site.base_url))
            site.set_stage(stage)
            results = crawl_in_parallel(pipeline, workers=5)  # every outlet at once
            assert not pipeline.failures, pipeline.failures
            state["port"] = int(site.base_url.rsplit(":", 1)[1])
            state["base_url"] = site.base_url
        shutil.copytree(work, self.folder / name)
        state["built"].append(name)
        state["results"][name] = [{"source": r.source, "counts": r.counts} for r in results]
        tmp = self.folder / (_STATE + ".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.folder / _STATE)
        return state


def story_folder(tmp_path_factory) -> Path:
    """The session's folder shared by every pytest-xdist worker."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    return root / "demo-story"
