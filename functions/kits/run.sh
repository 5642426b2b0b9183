#!/bin/bash
# Started by the Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap, Handler: run.sh).
# Serves the ASGI app on the adapter's port; the adapter streams responses back to Lambda.
set -euo pipefail
cd "$(dirname "$0")"
# The core layer's packages live under /opt/python; they come before the runtime's own.
export PYTHONPATH="/opt/python${PYTHONPATH:+:$PYTHONPATH}"
exec python -m uvicorn app:app \
  --host 127.0.0.1 --port "${AWS_LWA_PORT:-${PORT:-8080}}" --no-access-log
