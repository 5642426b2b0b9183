"""Every item's keys, in one place: the PK/SK/GSI builders that every repository uses, and
that docs/data-model.md's table shows.

    USER#<user_id>           PROFILE                 the user
    EMAIL#<email>            EMAIL                   one user per email address
    USER#<user_id>           ACCOUNT                 balance, ledger count, rate window,
                                                     open holds (GSI2: HOLDS#<shard>)
    USER#<user_id>           LEDGER#<entry_id>       an append-only ledger entry
    RATE#<subject>           WINDOW                  a rate window of another subject (logins)
    APIKEY#<sha256>          APIKEY                  GSI1: USER#<user_id> / APIKEY#<created>#<id>
    APP#<app_id>             APP                     GSI1: USER#<owner_id> / APP#<created>#<id>
    APP#<app_id>             USAGE#<day>#<model>     usage counters
    USER#<user_id>           USAGE#<day>#<app>#<model>  the payer's usage counters (<app>:
                                                     the app id, or - for none)
    SESSION#<jti>            REVOKED                 a logout
    REQUEST#<request_id>     REQUEST                 a queued request (/v1/ai)
                                                     GSI1: USER#<user_id> / REQUEST#<created>#<id>
    IDEMPOTENCY#<user>#<h>   IDEMPOTENCY             an Idempotency-Key (h: its sha256)
    FILE#<file_id>           FILE                    a file (/v1/files); its bytes in S3
                                                     GSI1: USER#<user_id> / FILE#<created>#<id>
    BATCH#<batch_id>         BATCH                   a batch, its counts and usage
                                                     GSI1: USER#<user_id> / BATCH#<created>#<id>
                                                     GSI2 while it may expire: BATCHES#DUE /
                                                     <its deadline>
    BATCH#<batch_id>         LINE#<n, 8 digits>      one line's outcome (output or error line)
    UPLOAD#<upload_id>       UPLOAD                  a grant to put a batch file in the bucket
    JOB#<job_id>             JOB                     a video job, its hold and its outcome
                                                     GSI1: USER#<user_id> / JOB#<created>#<id>
    VSTORE#<vs_id>           STORE                   a vector store, its file counts, usage
                                                     GSI1: USER#<user_id> / VSTORE#<created>#<id>
    VSTORE#<vs_id>           FILE#<file_id>          a file in the store: status, attributes
    VSTORE#<vs_id>           FBATCH#<batch_id>       a file batch and its own file counts
    PROMPTS#<owner>          PROMPT#<slug>           a prompt: latest version, tags {tag: n}
                                                     (<owner>: user:<user_id> or app:<app_id>)
    PROMPTS#<owner>          VERSION#<slug>#<n, 8 digits>  one immutable prompt version
    TRACE#<trace_id>         TRACE                   a trace's summary (docs/traces.md)
                                                     GSI1: TRACES#<payer_id> / <started>#<id>
                                                     GSI2: TRACES#<day> / <started>#<id>
    TRACE#<trace_id>         SPAN#<span_id>          one span; while its body is on its way
                                                     to S3, GSI2: TRACEBODIES#PENDING / <epoch>
    STATS#<payer_id>         <day>#<model>#<app>#<prompt>#<experiment>  trace counters

Keys come in the low-level client's shape: {"PK": {"S": ...}, "SK": {"S": ...}}.
"""

from __future__ import annotations

import zlib
from typing import Any

Key = dict[str, dict[str, str]]

LEDGER_PREFIX = "LEDGER#"
USAGE_PREFIX = "USAGE#"  # usage counters: an app's, or a payer's in its USER# partition
NO_APP = "-"  # a payer's usage counter of calls made without an app
HOLD_PREFIX = "hold_"  # an open hold is an attribute of its payer's account item
HOLD_SHARDS = 16  # spreads the sweeper's index (GSI2) over partitions
HOLDS_INDEX = "GSI2"
OWNER_INDEX = "GSI1"
LINE_PREFIX = "LINE#"  # a batch's line items, in its partition
BATCHES_DUE = "BATCHES#DUE"  # GSI2PK of batches the sweeper may have to expire
VIDEOS_RUNNING = "VIDEOS#RUNNING"  # GSI2PK of running video jobs (the sweeper checks them)
STORE_FILE_PREFIX = "FILE#"  # a vector store's file items, in its partition
STORE_BATCH_PREFIX = "FBATCH#"  # a vector store's file batch items, in its partition
PROMPT_PREFIX = "PROMPT#"  # an owner's prompts, in its PROMPTS# partition
RUN_PREFIX = "RUN#"  # an experiment's runs, in its EXPERIMENT# partition
SCORES_PREFIX = "SCORES#"  # an experiment's score counters, in its EXPERIMENT# partition
SCORE_PREFIX = "SCORE#"  # a trace's scores, in its TRACE# partition
SPAN_PREFIX = "SPAN#"  # a trace's span items, in its TRACE# partition
BODIES_PENDING = "TRACEBODIES#PENDING"  # GSI2PK of spans whose body is on its way to S3


def key(pk: str, sk: str) -> Key:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def user_id_of(pk: dict[str, Any]) -> str:
    """The user id in a USER#<user_id> partition key attribute."""
    return plain(pk).removeprefix("USER#")


def profile(user_id: str) -> Key:
    return key(user_pk(user_id), "PROFILE")


def email_claim(email: str) -> Key:
    return key(f"EMAIL#{email.strip().lower()}", "EMAIL")


def account(user_id: str) -> Key:
    """The account item: balance, entry count, the rate window and the open holds."""
    return key(user_pk(user_id), "ACCOUNT")


def ledger_entry(user_id: str, entry_id: str) -> Key:
    return key(user_pk(user_id), LEDGER_PREFIX + entry_id)


def rate_window(subject: str) -> Key:
    """The rate window of a subject that has no account (`login:<email>`)."""
    return key(f"RATE#{subject}", "WINDOW")


def api_key(key_hash: str) -> Key:
    return key(f"APIKEY#{key_hash}", "APIKEY")


def app(app_id: str) -> Key:
    return key(f"APP#{app_id}", "APP")


def app_usage(app_id: str, day: str, model: str) -> Key:
    return key(f"APP#{app_id}", f"USAGE#{day}#{model}")


def user_usage(user_id: str, day: str, app_id: str | None, model: str) -> Key:
    """A payer's usage counter of one UTC day, app (or none) and model: the model comes
    last, as an app id never holds '#' and a model id might."""
    return key(user_pk(user_id), f"{USAGE_PREFIX}{day}#{app_id or NO_APP}#{model}")


def session(jti: str) -> Key:
    return key(f"SESSION#{jti}", "REVOKED")


def queued_request(request_id: str) -> Key:
    return key(f"REQUEST#{request_id}", "REQUEST")


def idempotency_key(user_id: str, key_hash: str) -> Key:
    return key(f"IDEMPOTENCY#{user_id}#{key_hash}", "IDEMPOTENCY")


def file(file_id: str) -> Key:
    return key(f"FILE#{file_id}", "FILE")


def batch(batch_id: str) -> Key:
    return key(f"BATCH#{batch_id}", "BATCH")


def upload(upload_id: str) -> Key:
    return key(f"UPLOAD#{upload_id}", "UPLOAD")


def job(job_id: str) -> Key:
    return key(f"JOB#{job_id}", "JOB")


def vector_store_pk(store_id: str) -> str:
    return f"VSTORE#{store_id}"


def vector_store(store_id: str) -> Key:
    return key(vector_store_pk(store_id), "STORE")


def store_file(store_id: str, file_id: str) -> Key:
    return key(vector_store_pk(store_id), STORE_FILE_PREFIX + file_id)


def store_batch(store_id: str, batch_id: str) -> Key:
    return key(vector_store_pk(store_id), STORE_BATCH_PREFIX + batch_id)


def prompts_pk(owner_key: str) -> str:
    return f"PROMPTS#{owner_key}"


def prompt(owner_key: str, slug: str) -> Key:
    return key(prompts_pk(owner_key), PROMPT_PREFIX + slug)


def prompt_versions_prefix(slug: str) -> str:
    """The sort key prefix of one prompt's versions ('#' ends the slug: no slug is another's
    prefix there)."""
    return f"VERSION#{slug}#"


def prompt_version(owner_key: str, slug: str, number: int) -> Key:
    return key(prompts_pk(owner_key), f"{prompt_versions_prefix(slug)}{number:08d}")


def trace(trace_id: str) -> Key:
    return key(f"TRACE#{trace_id}", "TRACE")


def trace_pk(trace_id: str) -> str:
    return f"TRACE#{trace_id}"


def span(trace_id: str, span_id: str) -> Key:
    return key(trace_pk(trace_id), SPAN_PREFIX + span_id)


def traces_of(payer_id: str) -> str:
    """GSI1PK that lists the traces a user paid for (their own calls and their apps')."""
    return f"TRACES#{payer_id}"


def traces_on(day: str) -> str:
    """GSI2PK that lists everyone's traces of one UTC day (admins; keys only)."""
    return f"TRACES#{day}"


def stats_pk(payer_id: str) -> str:
    return f"STATS#{payer_id}"


def experiment_pk(experiment_id: str) -> str:
    return f"EXPERIMENT#{experiment_id}"


def experiment(experiment_id: str) -> Key:
    return key(experiment_pk(experiment_id), "EXPERIMENT")


def experiment_run(experiment_id: str, run_id: str) -> Key:
    return key(experiment_pk(experiment_id), RUN_PREFIX + run_id)


def score(trace_id: str, score_id: str) -> Key:
    return key(trace_pk(trace_id), SCORE_PREFIX + score_id)


def score_counter(experiment_id: str, variant: str, name: str, category: str | None) -> Key:
    """One of an experiment's score counters: a (variant, name)'s sum and count, or one
    category's count ('#' cannot occur in a variant or a score name)."""
    suffix = f"{SCORES_PREFIX}{variant}#{name}"
    return key(
        experiment_pk(experiment_id), suffix if category is None else f"{suffix}#={category}"
    )


def batch_line(batch_id: str, number: int) -> Key:
    return key(f"BATCH#{batch_id}", f"{LINE_PREFIX}{number:08d}")


def batch_id_of(pk: dict[str, Any]) -> str:
    """The batch id in a BATCH#<batch_id> partition key attribute."""
    return plain(pk).removeprefix("BATCH#")


def owner_index(user_id: str, kind: str, created_at: str, item_id: str) -> dict[str, str]:
    """GSI1 keys that list a user's items of one kind (APIKEY, APP ...), oldest first."""
    return {"GSI1PK": user_pk(user_id), "GSI1SK": f"{kind}#{created_at}#{item_id}"}


def hold_attribute(reservation_id: str) -> str:
    return HOLD_PREFIX + reservation_id


def holds_shard(user_id: str) -> str:
    """GSI2PK of an account with open holds: the sweeper reads every shard."""
    return f"HOLDS#{zlib.crc32(user_id.encode()) % HOLD_SHARDS:02d}"


def epoch_key(seconds: int) -> str:
    """Epoch seconds as a sort key that sorts as numbers do."""
    return f"{seconds:012d}"


def plain_key(key: Key) -> dict[str, str]:
    """A key's attributes as plain values, for an item built with dynamo.to_item."""
    return {name: plain(value) for name, value in key.items()}


def plain(attributes: dict[str, Any]) -> str:
    """A key attribute's string value ({"S": "..."})."""
    return str(attributes["S"])
