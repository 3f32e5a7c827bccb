"""The Celery application (`celery -A akhbar.workers.app worker`, or `akhbar worker`).

Delivery is at-least-once: a task's message is acknowledged only after the
task ran (acks_late), a worker that dies mid-task gives its message back
(reject_on_worker_lost; with RabbitMQ the broker also requeues every
unacked message when the connection drops), and each worker takes one
message at a time (prefetch 1). Every task is therefore idempotent.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging

from akhbar.config import Settings, load_settings

TASKS = "akhbar.workers.tasks"


def stories_queue(settings: Settings) -> str:
    """The queue of the single grouping consumer (`akhbar worker --stories`)."""
    return f"{settings.queue}.stories"


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or load_settings()
    app = Celery("akhbar", broker=settings.broker_url or "memory://", include=[TASKS])
    app.conf.update(
        task_default_queue=settings.queue,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a broker that goes away is waited for
        # Redis: an unacked message goes back to the queue after this long
        # (RabbitMQ requeues at once when the consumer's connection drops)
        broker_transport_options={"visibility_timeout": max(600, int(settings.lease_seconds * 4))},
        beat_schedule={
            "akhbar-dispatch-due": {
                "task": "akhbar.dispatch_due",
                "schedule": settings.schedule_tick,
                # a dispatch nobody ran in time is worthless: the next tick claims afresh
                "options": {"expires": max(settings.schedule_tick, 5.0)},
            },
            **({"akhbar-group-stories": {
                "task": "akhbar.group_stories",
                "schedule": settings.group_tick,
                # to the grouping consumer's own queue; like a dispatch, a late one is worthless
                "options": {"queue": stories_queue(settings), "expires": max(settings.group_tick, 5.0)},
            }} if settings.stories else {}),
        },
        timezone="UTC",
    )
    return app


@setup_logging.connect
def _logging(loglevel=None, **_kw):  # Celery leaves logging to us
    from akhbar.workers.logs import configure_logging

    configure_logging(load_settings().log_format, loglevel or "INFO")


app = make_celery()
