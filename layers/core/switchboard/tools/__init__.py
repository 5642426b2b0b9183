"""The built-in tools the chat tool loop runs (services/tool_loop.py), one module each:
calculator, url_fetch, summarizer, web_search, weather. Their pure parts live in domain/
(domain/calculator.py); these modules do the I/O. wiring/tools.py builds them."""
