"""Database layer: schema (SQLAlchemy Core tables), engine, migrations and reference data."""
