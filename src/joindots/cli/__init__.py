"""The command line face: thin, no business logic."""
