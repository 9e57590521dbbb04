import Config

# Configure your database
config :hello_cluster, HelloCluster.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "hello_cluster_dev",
  show_sensitive_data_on_connection_error: true,
  pool_size: 10

config :hello_cluster, HelloClusterWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4000],
  check_origin: false,
  code_reloader: true,
  debug_errors: true,
  secret_key_base: "qV0c1b7Kc2l9yQv8a3mXn4Tt6Hh5Jr0sPz1Lw8Ee3Dd7Ff2Gg9Uu4Ii6Oo1Yy5Rr"

config :logger, :console, format: "[$level] $message\n"
config :phoenix, :plug_init_mode, :runtime
