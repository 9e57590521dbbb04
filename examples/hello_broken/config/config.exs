# This file is responsible for configuring your application
# and its dependencies with the aid of the Config module.
import Config

config :hello_broken,
  ecto_repos: [HelloBroken.Repo],
  generators: [timestamp_type: :utc_datetime]

# Configures the endpoint
config :hello_broken, HelloBrokenWeb.Endpoint,
  url: [host: "localhost"],
  adapter: Bandit.PhoenixAdapter,
  render_errors: [
    formats: [html: HelloBrokenWeb.ErrorHTML, json: HelloBrokenWeb.ErrorJSON],
    layout: false
  ],
  pubsub_server: HelloBroken.PubSub,
  live_view: [signing_salt: "Tg7mW1sc"]

config :logger, :console,
  format: "$time $metadata[$level] $message\n",
  metadata: [:request_id]

config :phoenix, :json_library, Jason

# Import environment specific config. This must remain at the bottom
# of this file so it overrides the configuration defined above.
import_config "#{config_env()}.exs"
