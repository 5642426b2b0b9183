"""TraceBodiesMiddleware: a traced request's bodies over the inline limit are written to S3
once its response has ended (services/tracing.py). The span items, written with the
settlement, say `pending` until then; a body that never arrives is the sweeper's to count
as lost."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from switchboard.api.middleware import HttpMiddleware


class TraceBodiesMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            trace = scope.get("state", {}).get("trace")
            if trace is not None and trace.bodies:
                from switchboard.bootstrap import container

                await container().tracing.store_bodies(trace.bodies)
