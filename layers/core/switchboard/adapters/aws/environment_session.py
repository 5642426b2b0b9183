"""EnvironmentSession: what the lean DynamoDB client asks of botocore's session, where the
environment alone holds the answers, without importing that session.

`import botocore.session` brings botocore's client, waiters, docs and argument machinery,
and making a session registers a few hundred event handlers: about 25 ms of a cold start that
the lean client (dynamodb_client.py) never uses when it finds DynamoDB on its own
(dynamodb_endpoint.py). In a Lambda container (and under the local platform) the environment
is all there is to read: credentials and region in variables, no config or credentials file.
There botocore's session answers from the environment alone, and so does this, through
botocore's own pieces: its table of session variables and their conversions, its
`ConfigChainFactory`, its `EnvProvider` (the first of the credential chain), its data loader
and its `ConfiguredEndpointProvider`.

`EnvironmentSession.found()` is None wherever more could decide: a config or credentials file
where botocore looks for one, a named profile (`AWS_PROFILE`, `AWS_DEFAULT_PROFILE`), or no
credentials in the environment (then a container role or the instance's answer). Those take
botocore's session. tests/adapters/test_environment_session.py holds the answers to the
session's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES, ConfigChainFactory
from botocore.credentials import EnvProvider
from botocore.loaders import create_loader


class EnvironmentSession:
    """The part of botocore's session that find_dynamodb and the lean client read."""

    def __init__(self, environ: Mapping[str, str], credentials: Any) -> None:
        self._environ = environ
        self._credentials = credentials
        self._chains = ConfigChainFactory(session=None, environ=environ)
        self._loader: Any = None

    @classmethod
    def found(cls, environ: Mapping[str, str] | None = None) -> EnvironmentSession | None:
        """The environment's session, or None when botocore's session could read more."""
        environ = os.environ if environ is None else environ
        probe = cls(environ, None)
        if probe.get_config_variable("profile") is not None:
            return None
        for name in ("config_file", "credentials_file"):
            path = os.path.expanduser(os.path.expandvars(probe.get_config_variable(name)))
            if os.path.exists(path):
                return None
        credentials = EnvProvider(environ=environ).load()
        return None if credentials is None else cls(environ, credentials)

    def get_config_variable(self, logical_name: str) -> Any:
        """The variable as botocore's session reads it, less its (absent) config file."""
        _, env_vars, default, conversion = BOTOCORE_DEFAUT_SESSION_VARIABLES[logical_name]
        chain = self._chains.create_config_chain(
            env_var_names=env_vars, default=default, conversion_func=conversion
        )
        return chain.provide()

    def get_component(self, name: str) -> Any:
        if name != "data_loader":
            raise ValueError(f"no component {name!r} outside botocore's session")
        if self._loader is None:
            self._loader = create_loader(self.get_config_variable("data_path"))
        return self._loader

    @property
    def full_config(self) -> dict[str, Any]:
        return {"profiles": {}}

    def get_scoped_config(self) -> dict[str, Any]:
        return {}

    def get_default_client_config(self) -> None:
        return None

    def get_credentials(self) -> Any:
        return self._credentials
