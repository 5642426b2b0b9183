"""What a client is told when an upstream video render fails: a fixed message per kind of
failure, chosen here from the upstream's state and text. The text itself is logged by the
provider and never shown (domain/video_renders.py: a provider's messages are untrusted)."""

from __future__ import annotations

from switchboard.domain.video_renders import RenderProgress, RenderState

RENDER_FAILED = "The upstream provider could not render this video."
CONTENT_FILTERED = "The upstream provider's content filters blocked this video."
CANCELLED = "The upstream provider cancelled this render."
EXPIRED = "The render expired at the upstream provider before it could be fetched."

_FILTER_WORDS = ("content filter", "content policy", "moderation", "safety")


def failed(upstream_text: str | None = None, *, message: str | None = None) -> RenderProgress:
    """A failed render. `message` when the kind is known from the state (cancelled,
    expired); else the content-filter message if the upstream's text says so, or the
    generic one. The text only chooses between fixed messages."""
    if message is None:
        lowered = (upstream_text or "").lower()
        filtered = any(word in lowered for word in _FILTER_WORDS)
        message = CONTENT_FILTERED if filtered else RENDER_FAILED
    return RenderProgress(RenderState.FAILED, error=message)
