import Config

config :hello_cluster, HelloCluster.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "hello_cluster_test#{System.get_env("MIX_TEST_PARTITION")}",
  pool: Ecto.Adapters.SQL.Sandbox,
  pool_size: System.schedulers_online() * 2

# We don't run a server during test.
config :hello_cluster, HelloClusterWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4002],
  secret_key_base: "Zx8Wv2Ut6Sr4Qp0On9Ml3Kj7Ih1Gf5Ed8Cb2Az6Yx0Wv4Ut9Sr3Qp7On1Ml5Kj",
  server: false

config :logger, level: :warning
