# This file is responsible for configuring your application
# and its dependencies with the aid of the Config module.
import Config

config :hello_cluster,
  ecto_repos: [HelloCluster.Repo],
  generators: [timestamp_type: :utc_datetime]

# Configures the endpoint
config :hello_cluster, HelloClusterWeb.Endpoint,
  url: [host: "localhost"],
  adapter: Bandit.PhoenixAdapter,
  render_errors: [
    formats: [html: HelloClusterWeb.ErrorHTML, json: HelloClusterWeb.ErrorJSON],
    layout: false
  ],
  pubsub_server: HelloCluster.PubSub,
  live_view: [signing_salt: "vN3q8Rk2"]

config :logger, :console,
  format: "$time $metadata[$level] $message\n",
  metadata: [:request_id]

config :phoenix, :json_library, Jason

# Import environment specific config. This must remain at the bottom
# of this file so it overrides the configuration defined above.
import_config "#{config_env()}.exs"
