defmodule HelloClusterWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :hello_cluster

  @session_options [
    store: :cookie,
    key: "_hello_cluster_key",
    signing_salt: "b7XkP2qe",
    same_site: "Lax"
  ]

  socket "/live", Phoenix.LiveView.Socket,
    websocket: [connect_info: [session: @session_options]]

  plug Plug.Static, at: "/", from: :hello_cluster, gzip: false, only: ~w(assets favicon.ico robots.txt)

  if code_reloading? do
    plug Phoenix.CodeReloader
    plug Phoenix.Ecto.CheckRepoStatus, otp_app: :hello_cluster
  end

  plug Plug.RequestId
  plug Plug.Telemetry, event_prefix: [:phoenix, :endpoint]
  plug Plug.Parsers, parsers: [:urlencoded, :multipart, :json], pass: ["*/*"], json_decoder: Jason
  plug Plug.MethodOverride
  plug Plug.Head
  plug Plug.Session, @session_options
  plug HelloClusterWeb.Router
end
