"""A turn's lease: the worker answering a question says so, and keeps saying it until done.

The question's row holds until when its turn is taken (``answering_until``), by which
worker (``answered_by``, "host:pid") and the reply's text so far (``answer_so_far``). While
the upstream answers, a greenlet (a thread off Gunicorn) renews the lease every third of
its length with the text so far: one short UPDATE on a connection of its own, none at all
for a reply shorter than that. A killed worker renews nothing; the next read of the
conversation sees the lapsed lease (``Message.lease_lapsed``) and records the answer as
interrupted, with the text that had arrived and a Retry that works at once.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from models import Message, db, utcnow, worker_id

log = logging.getLogger(__name__)

# Seconds a turn stays held without a renewal. Renewed every third of it, so two missed
# renewals in a row still leave it held: a slow moment is not a dead worker.
LEASE_SECONDS = 15.0


def first_hold() -> dict[str, Any]:
    """The lease fields of a question saved now, by this worker (set in its INSERT)."""
    return {
        "answering_until": utcnow() + timedelta(seconds=LEASE_SECONDS),
        "answered_by": worker_id(),
    }


class Lease:
    """Hold a question's turn while the upstream answers; ``so_far`` is the text to keep.

    ``with Lease(message_id, held=True):`` around the upstream call. ``held``: the row was
    saved with ``first_hold()`` already (a new message); otherwise (Retry, Regenerate) the
    turn is taken with an UPDATE first. The text is kept ``FIRST_TEXT_AFTER`` seconds after
    it starts arriving, then with each renewal. Renewal failures are logged, never raised:
    the answer matters more than its lease.
    """

    FIRST_TEXT_AFTER = 1.0  # seconds: a worker killed early still leaves its first words

    def __init__(self, message_id: int, *, held: bool, seconds: float = LEASE_SECONDS) -> None:
        self.message_id = message_id
        self.seconds = seconds
        self._so_far = ""
        self._first_text_at: float | None = None
        self._held = held
        self._engine = db.engine  # read inside the request; the greenlet has no app context
        self._wake = threading.Event()
        self._stopped = False

    @property
    def so_far(self) -> str:
        """The reply's text so far (set by the streaming side as it grows)."""
        return self._so_far

    @so_far.setter
    def so_far(self, text: str) -> None:
        self._so_far = text
        if self._first_text_at is None and text:
            self._first_text_at = time.monotonic()
            self._wake.set()

    def __enter__(self) -> Lease:
        if not self._held:
            self._take()
        threading.Thread(target=self._run, name="turn-lease", daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopped = True
        self._wake.set()

    def _take(self) -> None:
        statement = (
            db.update(Message)
            .where(Message.id == self.message_id)
            .values(
                answering_until=utcnow() + timedelta(seconds=self.seconds),
                answered_by=worker_id(),
                answer_so_far=None,
            )
        )
        self._execute(statement)

    def _first_text_due(self) -> float | None:
        if self._first_text_at is None:
            return None
        return self._first_text_at + self.FIRST_TEXT_AFTER

    def _run(self) -> None:
        interval = self.seconds / 3
        renew_at = time.monotonic() + interval
        first_kept = False
        while True:
            due = renew_at
            first = None if first_kept else self._first_text_due()
            if first is not None:
                due = min(due, first)
            self._wake.wait(max(0.0, due - time.monotonic()))
            self._wake.clear()
            if self._stopped:
                return
            now = time.monotonic()
            first = None if first_kept else self._first_text_due()
            if now >= renew_at or (first is not None and now >= first):
                until = utcnow() + timedelta(seconds=self.seconds)
                self._execute(Message.renew_lease_statement(self.message_id, until, self._so_far))
                renew_at = now + interval
                first_kept = first_kept or bool(self._so_far)

    def _execute(self, statement: Any) -> None:
        try:
            with self._engine.begin() as connection:
                connection.execute(statement)
        except SQLAlchemyError as exc:
            log.warning("turn lease not renewed: %s", type(exc).__name__)
