"""The catalog: what supporting-industry firms are and what they offer.

This package owns the data model (firms, capabilities, certifications, needs and the
reference data they point to), its validation, and import/export. It depends on
SQLAlchemy only, so the matching engine, the workers and the web app can all build on
it without pulling each other in.
"""
