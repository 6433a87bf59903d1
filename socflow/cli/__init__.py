"""Command line (Typer + Rich): serve, db, alert, case and audit commands."""
