defmodule ProbeApp.DB do
  @moduledoc """
  What Postgrex does to reach its database, reduced to the socket: `:gen_tcp.connect/4` to the configured
  host with the Repo's `socket_options` (from config/runtime.exs: `[:inet6]` or `[]`) put in front of its own
  options. And a listener for the other machine to play the database.
  """

  def check(host, port) do
    socket_options = Application.get_env(:probe_app, :repo_socket_options, [])
    options = socket_options ++ [mode: :binary, packet: :raw, active: false]

    result =
      case :gen_tcp.connect(String.to_charlist(host), port, options, 5_000) do
        {:ok, socket} ->
          {:ok, {address, _}} = :inet.peername(socket)
          :gen_tcp.close(socket)
          %{"result" => "connected", "peer" => List.to_string(:inet.ntoa(address))}

        {:error, reason} ->
          %{"result" => inspect({:error, reason}), "format_error" => List.to_string(:inet.format_error(reason))}
      end

    Map.merge(result, %{"host" => host, "port" => port, "socket_options" => inspect(socket_options)})
  end

  def listen(port) do
    spawn(fn ->
      {:ok, listener} = :gen_tcp.listen(port, [:inet6, ipv6_v6only: false, reuseaddr: true, active: false])
      accept(listener)
    end)
  end

  defp accept(listener) do
    case :gen_tcp.accept(listener) do
      {:ok, socket} ->
        :gen_tcp.close(socket)
        accept(listener)

      {:error, _} ->
        :ok
    end
  end
end
