"""Record linkage: the Splink model (frame, comparisons, training, scoring, explanations,
instant matching, evaluation) and, beside it, stable identities, clustering and decisions."""
