"""The aiohttp side of `serve`: webhooks, health and metrics (and later the organizer console)."""
