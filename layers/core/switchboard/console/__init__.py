"""The console: a web dashboard served by the platform at /console (ConsoleFunction).

Static HTML, CSS and JavaScript modules (assets/), no build step and nothing loaded from
elsewhere. The pages hold no data: their scripts call the same API as any client, with the
session cookie that POST /auth/login sets (same origin, so no CORS), and show its errors.
"""
