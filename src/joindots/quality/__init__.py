"""Data quality: completeness, conformity, duplication, consistency and timeliness per source."""
