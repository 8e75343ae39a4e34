"""pytester runs user-style test files in subprocesses."""

