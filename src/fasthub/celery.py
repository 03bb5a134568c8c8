"""``fasthub.celery``: the public path of the Celery pool
(``CELERY_CUSTOM_WORKER_POOL=fasthub.celery:TaskPool``).

The code lives in ``fasthub.integrations.celery``; importing it monkey-patches, as Celery's own eventlet
and gevent pools do.
"""

from fasthub.integrations.celery import *  # noqa: F401,F403
from fasthub.integrations.celery import TaskPool, Timer, __all__  # noqa: F401
