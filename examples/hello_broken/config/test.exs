import Config

config :hello_broken, HelloBroken.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "hello_broken_test#{System.get_env("MIX_TEST_PARTITION")}",
  pool: Ecto.Adapters.SQL.Sandbox,
  pool_size: System.schedulers_online() * 2

# We don't run a server during test.
config :hello_broken, HelloBrokenWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4002],
  secret_key_base: "Mn2Bv6Cx0Za4Sd8Fg3Hj7Kl1Qw5Er9Ty2Ui6Op0As4Df8Gh3Jk7Lz1Xc5Vb9Nm2Q",
  server: false

config :logger, level: :warning
