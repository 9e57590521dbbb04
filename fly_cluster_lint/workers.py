"""Linting a large monorepo in several processes (`--jobs`), with the same result as one process.

The parent discovers the apps and loads their settings, then forks one worker per contiguous slice of the
apps (fork: the worker starts with the parent's imports, file cache and rules, copy-on-write, and no
pickling on the way in). Each worker lints its slice exactly as engine.lint_apps does in one process and
sends back, pickled through a pipe, what the report and the result cache need: each app's frozen summary,
the diagnostics, the internal errors, the suppression directives of the files it parsed, the files a report
may quote, and every file read, path probed and folder listed. The parent merges the slices in app order,
so diagnostics, apps, errors and the cache's record are what one process would have produced; the engine
then applies suppressions and sorts as always. A worker that fails (it never should) is redone in the
parent, so a crash in a worker cannot lose an app.
"""

from __future__ import annotations

import os
import pickle

from fly_cluster_lint.model.app import App
from fly_cluster_lint.source import SourceFile


def _slices(items: list, parts: int) -> list[list]:
    """`items` cut into `parts` contiguous slices of nearly equal length, in order."""
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def _work(chosen: list, files, rules) -> bytes:
    """In a worker: lint a slice and return the pickled payload (see the module docstring)."""
    from fly_cluster_lint.engine import Result, lint_apps

    result = Result(files=files)
    directives: dict = {}
    before = set(files._sources)
    lint_apps(chosen, files, rules, True, result, directives)
    apps = [app.__dict__.get("_frozen") for app in result.apps]
    kept = {path: source for path, source in files._sources.items()
            if path not in before and isinstance(source, SourceFile)}
    return pickle.dumps((apps, result.diagnostics, result.errors, directives, kept, files.reads, files.probes,
                         files.folders, files.unreadable), protocol=pickle.HIGHEST_PROTOCOL)


def lint_in_workers(chosen: list, files, rules, workers: int, result, directives: dict) -> None:
    """Lint `chosen` ((spec, settings) in order) in `workers` forked processes into result and directives."""
    slices = _slices(chosen, workers)
    running = []  # (slice, pid, read end of its pipe)
    for part in slices:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns, never runs the parent's exit handlers or flushes its buffers
            status = 1
            try:
                os.close(read)
                data = _work(part, files, rules)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                status = 0
            except BaseException:  # noqa: BLE001 - the parent redoes this slice
                pass
            finally:
                os._exit(status)
        os.close(write)
        running.append((part, pid, read))
    for part, pid, read in running:
        with os.fdopen(read, "rb") as handle:
            data = handle.read()  # a worker blocked on a full pipe waits here for its turn: no deadlock
        _, status = os.waitpid(pid, 0)
        payload = None
        if status == 0 and data:
            try:
                payload = pickle.loads(data)
            except Exception:  # noqa: BLE001 - a torn payload: redo the slice here
                payload = None
        if payload is None:
            from fly_cluster_lint.engine import lint_apps

            lint_apps(part, files, rules, True, result, directives)
            continue
        _merge(part, payload, files, result, directives)


def _merge(part: list, payload: tuple, files, result, directives: dict) -> None:
    apps, diagnostics, errors, found, kept, reads, probes, folders, unreadable = payload
    for (spec, settings), frozen in zip(part, apps):
        app = App(spec, files, settings)
        if frozen is not None:
            app._frozen = frozen
        result.apps.append(app)
    result.diagnostics.extend(diagnostics)
    result.errors.extend(errors)
    for display, directive in found.items():
        directives.setdefault(display, directive)  # a file parsed by two workers: the same comments
    for path, source in kept.items():
        if path not in files._sources:
            files._sources[path] = source
            files._by_display.setdefault(source.display, source)
    files.reads.update(reads)
    files.probes.update(probes)
    for folder, listed in folders.items():
        files.folders.setdefault(folder, listed)
    files.unreadable.update(unreadable)
