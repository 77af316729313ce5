"""Targeting: learned risk scores from past inspection outcomes, and their benchmarks."""
