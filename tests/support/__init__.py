"""Helpers shared by the tests: the tiny area, networks built in code, paths to project files."""
