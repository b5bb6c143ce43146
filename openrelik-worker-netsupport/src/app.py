"""The Celery app of the worker, on the Redis broker OpenRelik uses.

Same shape as the public OpenRelik workers' src/app.py: broker and result
backend are both REDIS_URL, and the task modules are listed in include.
"""

import os

from celery.app import Celery

if os.getenv("OPENRELIK_PYDEBUG") == "1":
    from openrelik_worker_common.debug_utils import start_debugger

    start_debugger()

REDIS_URL = os.getenv("REDIS_URL") or "redis://localhost:6379/0"
celery = Celery(
    broker=REDIS_URL,
    backend=REDIS_URL,
    include=["src.analyse_plaso", "src.extract_and_analyse"],
)
# One task reserved per worker process: our tasks run for minutes, and a
# prefetched task would wait behind a long one while another container idles
# (Celery's advice for long-running tasks).
celery.conf.worker_prefetch_multiplier = 1
