"""HTTP API (FastAPI): routes, schemas, authentication and error mapping."""
