"""``fasthub.gunicorn``: the public path of the gunicorn worker, ``gunicorn -k fasthub.gunicorn.Worker``.

The code lives in ``fasthub.integrations.gunicorn``.
"""

from fasthub.integrations.gunicorn import *  # noqa: F401,F403
from fasthub.integrations.gunicorn import Worker, __all__  # noqa: F401
