"""The declaration's pydantic models, as web and CLI read them (input of the portal's forms and API, output of
the JSON API): they are defined, with their bounds and checks, in declarations.models."""

from smartcustoms.declarations.models import Declaration, GoodsItem

__all__ = ["Declaration", "GoodsItem"]
