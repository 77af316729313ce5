"""Non-intrusive inspection: dual-energy X-ray scans, their analysis, and their place in the declaration flow."""
