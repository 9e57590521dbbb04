defmodule ProbeApp.MixProject do
  # The reality lab's probe: a release with no dependencies that records, at boot, what the VM really got
  # (node name, distribution mode, -proto_dist, the clustering variables) and then runs a DNS discovery step
  # equivalent to dns_cluster's (or libcluster DNSPoll's), writing everything into ./probe.json.
  use Mix.Project

  def project do
    [
      app: :probe_app,
      version: "0.1.0",
      elixir: ">= 1.12.0",
      start_permanent: Mix.env() == :prod,
      deps: [],
      releases: [probe_app: [include_executables_for: [:unix]]]
    ]
  end

  def application do
    [mod: {ProbeApp.Application, []}, extra_applications: [:logger]]
  end
end
