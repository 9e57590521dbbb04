defmodule HelloBroken.Repo do
  use Ecto.Repo,
    otp_app: :hello_broken,
    adapter: Ecto.Adapters.Postgres
end
