"""Readers that turn declaration files into frames of goods-item rows."""
