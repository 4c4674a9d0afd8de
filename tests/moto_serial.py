"""moto's server with one request handled at a time.

moto_server handles requests on many threads and does not lock its DynamoDB
backend, so two conditional writes racing on one item can both succeed.
DynamoDB never lets that happen. Serving requests one at a time (connections
are still accepted on many threads) gives back the atomicity the concurrency
tests rely on.

Usage: python moto_serial.py HOST PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

app = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()


def serialized(environ, start_response):
    with one_at_a_time:
        # The whole response is produced inside the lock.
        return list(app(environ, start_response))


if __name__ == "__main__":
    run_simple(
        sys.argv[1],
        int(sys.argv[2]),
        serialized,
        threaded=True,
        request_handler=MotoRequestHandler,
    )
