"""The project model: what each app's files say, read once, asked by every rule.

- ``app.App``: one (fly toml, Elixir release) pair and its files, parsed lazily and once.
- ``mix.MixProject``: app name, version, deps and release options from mix.exs.
- ``configs.ConfigSet``: the `config` calls a prod release loads.
- ``supervision.LibFacts``: Repos, the Application's children, DNSCluster and libcluster children.
- ``environment.Environment``: the effective runtime environment with provenance.
"""
