"""How the web server runs: the micro-batcher that gathers lodgings into one call (batcher), the lodging process
that stores, assesses and records the batches (lodging_process), and the server's processes (processes: several
on one port, and worker processes that die with their parent)."""
