# mix.exs: `mix lint.cluster` lints the Fly.io clustering setup of the project.
# fly-cluster-lint must be on PATH; `mix cmd` exits with its status (1 when it finds an error).
def project do
  [
    # app: ..., version: ..., deps: deps(),
    aliases: aliases()
  ]
end

defp aliases do
  [
    "lint.cluster": ["cmd fly-cluster-lint ."]
  ]
end
