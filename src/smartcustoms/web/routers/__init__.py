"""The routers: the API under /api/v1 and the pages."""
