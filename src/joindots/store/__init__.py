"""The system of record: schema, sessions, migrations and queries. No other part writes SQL."""
