defmodule ProbeApp.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args) do
    # The recorder comes first, so that the boot facts are on disk before any discovery child can fail.
    children = [ProbeApp.Recorder | discovery_children(ProbeApp.Settings.get(:children, :dns_cluster))]
    Supervisor.start_link(children, strategy: :one_for_one, name: ProbeApp.Supervisor)
  end

  # The child of the Phoenix template: `{DNSCluster, query: Application.get_env(:app, :dns_cluster_query) || :ignore}`.
  defp discovery_children(:dns_cluster), do: [dns_cluster_child()]

  # libcluster's `{Cluster.Supervisor, [topologies, ...]}` with one DNSPoll topology, reduced to the strategy.
  defp discovery_children(:dns_poll), do: [{ProbeApp.DNSPoll, Application.get_env(:probe_app, :dns_poll, [])}]

  defp discovery_children(:none), do: []

  # Two copies of the generated child in two supervision trees (as in an umbrella whose apps both start one).
  defp discovery_children(:duplicate_in_two_trees) do
    second_tree = %{
      id: ProbeApp.SecondTree,
      start: {Supervisor, :start_link, [[dns_cluster_child()], [strategy: :one_for_one]]},
      type: :supervisor
    }

    [dns_cluster_child(), second_tree]
  end

  # Two copies of the generated child in one children list.
  defp discovery_children(:duplicate_in_one_list), do: [dns_cluster_child(), dns_cluster_child()]

  # The generated child without the :dns_cluster dependency: the module is not in the release.
  defp discovery_children(:missing_module) do
    [{DNSCluster, query: Application.get_env(:probe_app, :dns_cluster_query) || :ignore}]
  end

  defp dns_cluster_child do
    {ProbeApp.DNSCluster, query: Application.get_env(:probe_app, :dns_cluster_query) || :ignore}
  end
end
