"""Request and response shapes, one module per endpoint group, shared by the routes and by
the `switchboard` command (operations.py): requests as pydantic models (validated into
400s by api/requests.py), responses as functions that build the JSON body.

The inference API's requests are the domain's own (domain/requests.py: providers read
them), and an app's config is checked by the domain's rules against the catalog
(domain/apps.py); their responses are built where they are made.
"""
