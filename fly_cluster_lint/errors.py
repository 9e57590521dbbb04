"""Errors that stop the tool from doing its job: printed as one line, exit status 2."""


class ToolError(Exception):
    """A problem with the invocation, the configuration or a path: ``fly-cluster-lint: error: ...``."""
