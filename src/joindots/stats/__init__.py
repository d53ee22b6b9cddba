"""Aggregate statistics with disclosure control: tables, rates with intervals, safe releases."""
