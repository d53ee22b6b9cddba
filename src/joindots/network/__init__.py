"""The POLE network: graph from resolved people, objects, places and events; offender groups with their
uncertainty; i2 ANX, GraphML and CSV exports; timelines; JSON for the web pages."""
