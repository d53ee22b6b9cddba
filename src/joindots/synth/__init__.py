"""The synthetic multi-agency world with ground truth: ``generate_world(out_dir, people, seed)``."""

from joindots.synth.world import SOURCES, WorldOptions, WorldSummary, canonical_mappings_dir, generate_world

__all__ = ["SOURCES", "WorldOptions", "WorldSummary", "canonical_mappings_dir", "generate_world"]
