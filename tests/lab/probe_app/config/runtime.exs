import Config

# Mirrors what `mix phx.new` (>= 1.7.8) generates into config/runtime.exs; the lab replaces this file in a
# booted release when a scenario needs a variant (another key, another app atom, no query at all...).
if config_env() == :prod do
  maybe_ipv6 = if System.get_env("ECTO_IPV6") in ~w(true 1), do: [:inet6], else: []

  # The Repo's socket options (Postgrex passes them to :gen_tcp.connect/4).
  config :probe_app, :repo_socket_options, maybe_ipv6

  config :probe_app, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")

  # The libcluster DNSPoll topology of the Fly guide (used when the probe runs in its dns_poll mode).
  app_name = System.get_env("FLY_APP_NAME") || "probe_app"
  config :probe_app, :dns_poll, query: "#{app_name}.internal", node_basename: app_name
end
