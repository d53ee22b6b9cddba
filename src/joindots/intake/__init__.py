"""Reports from professionals: the duty to report, and hotel or taxi concerns (Operation Makesafe)."""
