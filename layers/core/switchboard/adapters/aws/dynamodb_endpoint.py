"""Where DynamoDB is, as botocore's client finds it, without building that client.

The lean client (dynamodb_client.py) needs two facts of botocore's DynamoDB client: its
endpoint URL and its region. Building that client costs a cold start about 50 ms (it parses
endpoints.json, 1.2 MB, and the 94 KB service model, and lists every service's folder
twice). botocore's own smaller pieces give the same two facts for a fraction of that:

- its configuration chain, for the region and the configured endpoint
  (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, the config file's `services` section, or
  none under `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), read as the client reads it;
- DynamoDB's endpoint rule set (4.5 KB), evaluated by botocore's `EndpointProvider` over its
  partitions (7 KB), without the account-id endpoint (the client's `meta.endpoint_url`, which
  the lean client has always used, is the regional one).

That covers the plain case: a region that a partition lists. For anything else (FIPS or
dual-stack, whose names endpoints.json keeps; a pseudo-region; a data path of its own, a
pinned API version or a session-wide client config; no region), `find_dynamodb` answers
None: build the client. tests/adapters/test_dynamodb_endpoint.py holds the answers to the
client's, region by region.
"""

from __future__ import annotations

from typing import Any

SERVICE = "dynamodb"
RULESET = "endpoint-rule-set-1"


def find_dynamodb(session: Any) -> tuple[str, str] | None:
    """(endpoint URL, region) of the DynamoDB client `session.create_client("dynamodb")`
    would make, or None when only that client can tell."""
    region = session.get_config_variable("region")
    if not region or _customised(session):
        return None
    from botocore.endpoint_provider import EndpointProvider

    loader = session.get_component("data_loader")
    partitions = loader.load_data("partitions")
    if not _listed(region, partitions):
        return None
    version = loader.determine_latest_version(SERVICE, RULESET)
    provider = EndpointProvider(
        ruleset_data=loader.load_data(f"{SERVICE}/{version}/{RULESET}"),
        partition_data=partitions,
    )
    endpoint = provider.resolve_endpoint(
        Region=region,
        UseFIPS=False,
        UseDualStack=False,
        Endpoint=_configured_endpoint(session),
        AccountIdEndpointMode="disabled",
    )
    return str(endpoint.url), str(region)


def _customised(session: Any) -> bool:
    """Settings that change what botocore's client loads or where it sends requests."""
    return bool(
        session.get_config_variable("use_fips_endpoint")
        or session.get_config_variable("use_dualstack_endpoint")
        or session.get_config_variable("data_path")
        or session.get_config_variable("api_versions").get(SERVICE)
        or session.get_default_client_config() is not None
    )


def _listed(region: str, partitions: dict[str, Any]) -> bool:
    """A real region of some partition (not `aws-global` and its kind, nor `*-fips`)."""
    return any(
        region in partition["regions"] and not region.endswith("-global")
        for partition in partitions["partitions"]
    )


def _configured_endpoint(session: Any) -> str | None:
    """The endpoint URL configured for DynamoDB, as botocore's client reads it."""
    if session.get_config_variable("ignore_configured_endpoint_urls"):
        return None
    from botocore.configprovider import ConfiguredEndpointProvider

    provider = ConfiguredEndpointProvider(
        full_config=session.full_config,
        scoped_config=session.get_scoped_config(),
        client_name=SERVICE,
    )
    found = provider.provide()
    return str(found) if found else None
