"""The synthetic customs world: traders, goods, fraud and historic controls (docs/synthetic-world.md).

    from smartcustoms.world import WorldConfig, generate, write_world
    world = generate(WorldConfig(declarations=10_000, seed=42))
    write_world(world, "var/world")
"""

from smartcustoms.world.config import CONTROL_TYPES, FRAUD_TYPES, PROFILES, WorldConfig
from smartcustoms.world.generate import TRUTH_COLUMNS, World, generate
from smartcustoms.world.io import write_world

__all__ = ["CONTROL_TYPES", "FRAUD_TYPES", "PROFILES", "TRUTH_COLUMNS", "World", "WorldConfig", "generate",
           "write_world"]
