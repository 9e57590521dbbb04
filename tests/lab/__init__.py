"""The reality lab: boots real Elixir releases as two Fly Machines in network namespaces (see README.md)."""
