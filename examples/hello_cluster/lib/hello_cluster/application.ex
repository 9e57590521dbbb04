defmodule HelloCluster.Application do
  # See https://hexdocs.pm/elixir/Application.html
  # for more information on OTP Applications
  @moduledoc false

  use Application

  @impl true
  def start(_type, _args) do
    children = [
      HelloClusterWeb.Telemetry,
      HelloCluster.Repo,
      {DNSCluster, query: Application.get_env(:hello_cluster, :dns_cluster_query) || :ignore},
      {Phoenix.PubSub, name: HelloCluster.PubSub},
      # Start a worker by calling: HelloCluster.Worker.start_link(arg)
      # {HelloCluster.Worker, arg},
      # Start to serve requests, typically the last entry
      HelloClusterWeb.Endpoint
    ]

    # See https://hexdocs.pm/elixir/Supervisor.html
    # for other strategies and supported options
    opts = [strategy: :one_for_one, name: HelloCluster.Supervisor]
    Supervisor.start_link(children, opts)
  end

  # Tell Phoenix to update the endpoint configuration
  # whenever the application is updated.
  @impl true
  def config_change(changed, _new, removed) do
    HelloClusterWeb.Endpoint.config_change(changed, removed)
    :ok
  end
end
