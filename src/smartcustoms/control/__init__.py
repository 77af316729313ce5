"""Control chain: inspection outcomes (the labels every model and profile learns from)."""
