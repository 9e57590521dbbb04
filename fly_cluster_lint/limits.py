"""Caps on what a run reads from the (untrusted) repository. A file above its cap is reported, not parsed,
so that a stray generated file or a hostile one cannot make a pre-commit hook take seconds or gigabytes."""

MAX_BYTES = 2 * 1024 * 1024  # any project file (Dockerfile, fly.toml, env.sh.eex, Elixir, vm.args)
MAX_CONFIG_BYTES = 1024 * 1024  # .fly-cluster-lint.toml (and a --config file)
