"""Checks: one small module per area of the rule catalogue.

Each rule's YAML names its function here (``check: node_name.node_name_missing``). A check takes an App,
asks the project model (never a file) and yields Findings. A check stays silent when a file it needs
could not be parsed (FCL001 reports that) or when a more specific rule explains the same root cause.
"""
