"""POLE domain types and the code lists our users work with. Pure: no I/O."""
