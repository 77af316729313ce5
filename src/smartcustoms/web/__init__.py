"""The web: the REST API under /api/v1 and the server-rendered portal, built by ``create_app``."""
