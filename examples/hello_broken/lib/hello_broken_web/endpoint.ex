defmodule HelloBrokenWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :hello_broken

  @session_options [
    store: :cookie,
    key: "_hello_broken_key",
    signing_salt: "Lp4nZ9ya",
    same_site: "Lax"
  ]

  socket "/live", Phoenix.LiveView.Socket,
    websocket: [connect_info: [session: @session_options]]

  plug Plug.Static, at: "/", from: :hello_broken, gzip: false, only: ~w(assets favicon.ico robots.txt)

  if code_reloading? do
    plug Phoenix.CodeReloader
    plug Phoenix.Ecto.CheckRepoStatus, otp_app: :hello_broken
  end

  plug Plug.RequestId
  plug Plug.Telemetry, event_prefix: [:phoenix, :endpoint]
  plug Plug.Parsers, parsers: [:urlencoded, :multipart, :json], pass: ["*/*"], json_decoder: Jason
  plug Plug.MethodOverride
  plug Plug.Head
  plug Plug.Session, @session_options
  plug HelloBrokenWeb.Router
end
