import Config

# Configure your database
config :hello_broken, HelloBroken.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "hello_broken_dev",
  show_sensitive_data_on_connection_error: true,
  pool_size: 10

config :hello_broken, HelloBrokenWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4000],
  check_origin: false,
  code_reloader: true,
  debug_errors: true,
  secret_key_base: "Hk3Ud9Qe5Wr1Ty7Io2Pa6Sd4Fg8Jh0Kl3Zx9Cv5Bn1Mq7We2Rt6Yu0Io4Pa8Sd3F"

config :logger, :console, format: "[$level] $message\n"
config :phoenix, :plug_init_mode, :runtime
