"""Top-level test configuration: plugins every test folder may use."""

pytest_plugins = ["pytester"]
