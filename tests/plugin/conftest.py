"""pytester runs user-style test files in subprocesses."""

pytest_plugins = ["pytester"]
