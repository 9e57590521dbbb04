# .check.exs: `mix check` (ex_check) runs fly-cluster-lint beside its other tools.
# fly-cluster-lint must be on PATH.
[
  tools: [
    {:fly_cluster_lint, "fly-cluster-lint ."}
  ]
]
