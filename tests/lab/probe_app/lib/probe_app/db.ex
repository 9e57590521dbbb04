defmodule ProbeApp.DB do
  @moduledoc """
  What Postgrex does to reach its database, reduced to the socket: `:gen_tcp.connect/4` to the configured
  host with the Repo's `socket_options` (from config/runtime.exs: `[:inet6]` or `[]`) put in front of its own
  options. (The lab plays the database with a plain TCP listener on the other machine.)
  """

  def check(host, port) do
    socket_options = Application.get_env(:probe_app, :repo_socket_options, [])
    options = socket_options ++ [mode: :binary, packet: :raw, active: false]

    result =
      case :gen_tcp.connect(to_charlist(host), port, options, 5_000) do
        {:ok, socket} ->
          {:ok, {address, _}} = :inet.peername(socket)
          :gen_tcp.close(socket)
          %{"result" => "connected", "peer" => List.to_string(:inet.ntoa(address))}

        {:error, reason} ->
          %{"result" => inspect({:error, reason}), "format_error" => List.to_string(:inet.format_error(reason))}
      end

    Map.merge(result, %{"host" => to_string(host), "port" => port, "socket_options" => inspect(socket_options)})
  end
end
