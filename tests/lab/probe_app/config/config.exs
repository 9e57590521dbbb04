import Config

# No timestamps, so that the lab can compare log lines across runs.
config :logger, :console, format: "[$level] $message\n"
