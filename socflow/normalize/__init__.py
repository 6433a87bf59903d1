"""Parsing and normalization: every supported log format to one ECS document with canonical values."""
