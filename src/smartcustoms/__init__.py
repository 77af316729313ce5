"""smartcustoms: an open-source Smart Customs platform."""

__version__ = "0.1.0"
