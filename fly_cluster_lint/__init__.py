"""fly-cluster-lint: find Erlang clustering mistakes in Elixir/Phoenix apps on Fly.io before deploy.

The package reads as the pipeline it runs:

    discovery  -> which apps and files                     (discovery.py, config.py)
    parsers    -> one module per file format               (parsers/)
    model      -> apps, facts and the effective environment (model/)
    checks     -> one small module per catalogue area      (checks/)
    reporters  -> one module per output format             (reporters/)

Rule metadata (slug, severity, docs, examples) lives in ``rules/FCLnnn.yml`` and is read by registry.py.
"""

__version__ = "0.1.0"
