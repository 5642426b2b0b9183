"""switchboard/console/routes.py: the web dashboard's pages and files (public: the pages'
scripts call the API with the session cookie)."""

from switchboard.api.openapi.operation import Operation

TAG = "Console"
HTML = {"type": "string", "contentMediaType": "text/html"}

OPERATIONS = [
    Operation(
        "GET", "/console", "The console (redirects to its overview)", TAG, status=302,
        access="public",
    ),
    Operation(
        "GET", "/console/{page}", "A console page", TAG, response=HTML,
        response_media=("text/html",), access="public",
    ),
    Operation(
        "GET", "/console/assets/{name}", "The console's scripts, styles and icons", TAG,
        response={}, response_media=("*/*",), access="public",
    ),
]  # fmt: skip
