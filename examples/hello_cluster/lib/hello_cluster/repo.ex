defmodule HelloCluster.Repo do
  use Ecto.Repo,
    otp_app: :hello_cluster,
    adapter: Ecto.Adapters.Postgres
end
