"""Pure domain values: ids, severities, lifecycle tables, observables, audit hashing."""
