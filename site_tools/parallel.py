"""Run the pages' code blocks on two cores during one ``mkdocs build`` (or ``serve``).

MkDocs converts the pages one after another, and markdown-exec runs a page's blocks while the
page is converted. The blocks are about three quarters of a build, so on two cores one core sat
idle for most of it. Here, once the navigation is known (``on_nav``), the build process forks one
helper. The two split the pages that have executed blocks:

- the build process converts the pages from the first one onwards, as it always does;
- the helper converts them from the last one backwards, with MkDocs' own page pipeline
  (``_populate_page``: the same plugins, hooks and Markdown extensions), and sends back, page by
  page, what each block printed;
- they meet in the middle: under a lock, each claims its next page only if the other has not.

When the build process reaches a page the helper claimed, it waits for that page's outputs and
converts the page as usual, except that each python block's output is taken from the helper
instead of being computed a second time. Everything else (Markdown, hooks, templates, search)
still happens in the build process, in order.

Why the pages are the same as in a one-process build:

- the helper is a fork of the build process at ``on_nav``: same modules (the ``snippets`` purge
  of ``on_pre_build`` has happened), same matplotlib settings, same configuration;
- an output is used only for the same page, at the same place in it, with the same code,
  session and id; any difference raises, and the build fails rather than guess;
- a page on which a block raised in the helper is converted by the build process from scratch,
  so the error is reported as in any build;
- a markdown-exec session never spans two pages (tests/test_catalog.py checks), so a page's
  blocks need nothing the other process executed;
- ``tests/site/test_reproducible.py`` builds the site with and without the helper and compares
  every byte.

``GLOSSARY_BUILD_JOBS=1`` builds in one process. Pages with ``pycon`` blocks stay with the build
process (that formatter is not intercepted).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from markdown_exec._internal.formatters import python as python_formatter

try:  # MkDocs' per-page pipeline (1.6); without it, builds run in one process
    from mkdocs.commands.build import _populate_page
except ImportError:  # pragma: no cover - only on another MkDocs
    _populate_page = None

log = logging.getLogger("mkdocs.glossary.parallel")

# a page the helper may take: it has an executed fence, and no pycon fence
EXECUTED = re.compile(r"^\s*(`{3,}|~{3,})\s*python\b[^\n]*\bexec=", re.M)
PYCON = re.compile(r"^\s*(`{3,}|~{3,})\s*pycon\b", re.M)

_run_python = python_formatter._run_python  # markdown-exec's own, restored after each build
Block = tuple[Any, Any, str, str]  # (session, id, code, output)


def jobs() -> int:
    """Processes to use: ``GLOSSARY_BUILD_JOBS``, else 2 on a machine with two or more cores."""
    value = os.environ.get("GLOSSARY_BUILD_JOBS", "")
    if value.strip():
        if not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"GLOSSARY_BUILD_JOBS must be a positive integer, got {value!r}")
        return min(int(value), 2)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


@dataclass
class _Build:
    """The state of one build in the build process."""

    index: dict[str, int]  # src_uri -> position among the pages the helper may take
    lock: Any
    main_next: Any  # multiprocessing.Value: the build process has claimed every page below this
    helper_low: Any  # ... and the helper every page from this one up
    conn: Any
    process: Any
    done: dict[int, list[Block] | None] = field(default_factory=dict)  # page -> outputs (None: failed)
    helper_alive: bool = True
    received: int = 0  # pages whose outputs the helper sent
    arrived: threading.Condition = field(default_factory=threading.Condition)
    reader: threading.Thread | None = None
    replay: list[Block] | None = None  # the outputs of the page being converted, if from the helper
    page: str | None = None


_build: _Build | None = None
_recording: list[Block] | None = None  # in the helper: the outputs of the page it converts
_helper_failed = False


def start(config, files) -> None:
    """``on_nav``: fork the helper, if there are two cores and at least two pages to share."""
    global _build
    stop()
    if jobs() < 2 or _populate_page is None:
        return
    pages = [
        file.page
        for file in files.documentation_pages()
        if file.page is not None
        and EXECUTED.search(file.content_string)
        and not PYCON.search(file.content_string)
    ]
    if len(pages) < 2:
        return
    context = multiprocessing.get_context("fork")  # the helper must inherit the build's state
    lock = context.Lock()
    main_next = context.Value("i", 0, lock=False)
    helper_low = context.Value("i", len(pages) - 1, lock=False)  # the last page is the helper's
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=_helper, args=(pages, config, files, send, lock, main_next, helper_low), daemon=True
    )
    python_formatter._run_python = _run_in_build
    process.start()
    send.close()
    _build = _Build(
        index={page.file.src_uri: i for i, page in enumerate(pages)},
        lock=lock, main_next=main_next, helper_low=helper_low, conn=receive, process=process,
    )
    # read the helper's pages as they come: a page's outputs (inline SVG) can exceed the pipe's
    # buffer, and the helper must not wait until the build process needs that page
    _build.reader = threading.Thread(target=_read, args=(_build,), daemon=True)
    _build.reader.start()


def _read(build: _Build) -> None:
    while True:
        try:
            message = build.conn.recv()
        except (EOFError, OSError):  # the helper ended or died: the build process does the rest
            message = None
        with build.arrived:
            if message is None:
                build.helper_alive = False
            else:
                build.done[message[0]] = message[1]
                build.received += message[1] is not None
            build.arrived.notify_all()
        if message is None:
            return


def stop(failed: bool = False) -> None:
    """``on_env`` (every page converted) / ``on_build_error``: end the helper, restore markdown-exec."""
    global _build
    python_formatter._run_python = _run_python
    if _build is None:
        return
    build, _build = _build, None
    build.process.join(timeout=0 if failed else 60)  # it stops by itself once the pages meet
    if build.process.is_alive():
        build.process.kill()
        build.process.join()
    build.reader.join()
    build.conn.close()
    log.debug(
        "parallel build: the helper process ran the code of %d of %d pages", build.received, len(build.index),
    )


def enter(page) -> None:
    """``on_pre_page``: decide whether this page's blocks run here or come from the helper."""
    build = _build
    if build is None:
        return
    build.page, build.replay = page.file.src_uri, None
    i = build.index.get(page.file.src_uri)
    if i is None:
        return
    with build.lock:
        mine = build.helper_low.value > i
        if mine:
            build.main_next.value = i + 1
    if mine:
        return
    with build.arrived:
        build.arrived.wait_for(lambda: i in build.done or not build.helper_alive)
        outputs = build.done.pop(i, None)  # None: a block failed there, or the helper died
    build.replay = None if outputs is None else list(outputs)


def leave(page) -> None:
    """``on_page_content``: the page's blocks have all run; check the replay and free the sessions.

    Fails if the page asked for fewer blocks than the helper ran. Then drops markdown-exec's
    session namespaces: sessions never span pages, and markdown-exec would otherwise keep every
    array a page's session made until the end of the build.
    """
    build = _build
    if build is not None and build.replay:
        raise RuntimeError(
            f"parallel build: {page.file.src_uri} ran {len(build.replay)} fewer code blocks here "
            "than in the helper process; build with GLOSSARY_BUILD_JOBS=1 to compare"
        )
    if build is not None:
        build.replay = None
    python_formatter._sessions_globals.clear()


def _run_in_build(code: str, returncode=None, session=None, id=None, **extra) -> str:  # noqa: A002
    """markdown-exec's ``_run_python`` in the build process: replay the helper's output, or run."""
    build = _build
    if build is None or build.replay is None:
        return _run_python(code, returncode, session, id, **extra)
    if not build.replay:
        raise RuntimeError(
            f"parallel build: {build.page} asks for more code blocks than the helper process ran; "
            "build with GLOSSARY_BUILD_JOBS=1 to compare"
        )
    got_session, got_id, got_code, output = build.replay.pop(0)
    if (got_session, got_id, got_code) != (session, id, code):
        raise RuntimeError(
            f"parallel build: a code block of {build.page} (session {session!r}, id {id!r}) is not "
            "the one the helper process ran in its place; build with GLOSSARY_BUILD_JOBS=1 to compare"
        )
    return output


def _run_in_helper(code: str, returncode=None, session=None, id=None, **extra) -> str:  # noqa: A002
    """markdown-exec's ``_run_python`` in the helper: run, and keep the output for the build."""
    global _helper_failed
    try:
        output = _run_python(code, returncode, session, id, **extra)
    except Exception:
        _helper_failed = True  # the build process converts this page itself and reports the error
        raise
    if _recording is not None:
        _recording.append((session, id, code, output))
    return output


def _helper(pages, config, files, send, lock, main_next, helper_low) -> None:
    """The forked process: convert pages from the last one down, until meeting the build."""
    global _build, _recording, _helper_failed
    _build = None
    python_formatter._run_python = _run_in_helper
    logging.disable(logging.CRITICAL)  # the build process repeats every page step and logs it
    try:
        for j in range(len(pages) - 1, -1, -1):
            with lock:
                if j < main_next.value:
                    break
                helper_low.value = j
            _recording, _helper_failed = [], False
            try:
                _populate_page(pages[j], config, files)
            except Exception:
                _helper_failed = True
            send.send((j, None if _helper_failed else _recording))
        send.send(None)
    except OSError:  # the build process stopped listening (it failed or was interrupted)
        pass
    finally:
        send.close()
