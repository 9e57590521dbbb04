defmodule ProbeApp.Recorder do
  @moduledoc """
  Records what the booted VM really got into `./probe.json` (written atomically, rewritten on every change):
  the boot facts, the discovery child's state, every discovery round, a periodic `Node.list()` snapshot and
  the result of the optional database connection check. Never through distribution, which may be broken, and
  never the cookie's value: only where it came from.
  """
  use GenServer

  @variables ~w(ERL_AFLAGS ERL_FLAGS ERL_ZFLAGS ELIXIR_ERL_OPTIONS ECTO_IPV6 DNS_CLUSTER_QUERY
                RELEASE_DISTRIBUTION RELEASE_NODE)

  def start_link(_), do: GenServer.start_link(__MODULE__, nil, name: __MODULE__)

  def round(round), do: GenServer.cast(__MODULE__, {:round, round})
  def discovery(info), do: GenServer.cast(__MODULE__, {:discovery, info})

  @impl true
  def init(nil) do
    state = %{
      "boot" => boot_facts(),
      "discovery" => nil,
      "rounds" => [],
      "rounds_total" => 0,
      "snapshot" => nil,
      "db" => nil
    }

    write(state)
    send(self(), :tick)
    maybe_db(ProbeApp.Settings.get(:db_check, nil))
    {:ok, state}
  end

  @impl true
  def handle_cast({:round, round}, state) do
    # the first rounds and the last ones are enough to tell what happened
    rounds = Enum.take(state["rounds"] ++ [round], -20)
    state = %{state | "rounds" => rounds, "rounds_total" => state["rounds_total"] + 1}
    write(state)
    {:noreply, state}
  end

  def handle_cast({:discovery, info}, state) do
    state = %{state | "discovery" => info}
    write(state)
    {:noreply, state}
  end

  def handle_cast({:db, result}, state) do
    state = %{state | "db" => result}
    write(state)
    {:noreply, state}
  end

  @impl true
  def handle_info(:tick, state) do
    snapshot = %{"at_ms" => System.os_time(:millisecond), "node_list" => Enum.map(Node.list(), &Atom.to_string/1)}
    state = %{state | "snapshot" => snapshot}
    write(state)
    Process.send_after(self(), :tick, ProbeApp.Settings.interval())
    {:noreply, state}
  end

  defp boot_facts do
    %{
      "node" => Atom.to_string(node()),
      "alive" => Node.alive?(),
      "dist_mode" => dist_mode(),
      "proto_dist" => proto_dist(),
      "proto_dist_inspect" => inspect(:init.get_argument(:proto_dist)),
      "listen_sockets" => listen_sockets(),
      "cookie_source" => cookie_source(),
      "release_cookie" => presence(System.get_env("RELEASE_COOKIE")),
      "env" => for(name <- @variables, into: %{}, do: {name, System.get_env(name)}),
      "elixir" => System.version(),
      "otp" => otp_version(),
      "os_pid" => System.pid(),
      "booted_at_ms" => System.os_time(:millisecond)
    }
  end

  defp dist_mode do
    cond do
      not Node.alive?() ->
        "none"

      function_exported?(:net_kernel, :get_state, 0) ->
        case :net_kernel.get_state() do
          %{name_domain: :longnames} -> "longnames"
          %{name_domain: :shortnames} -> "shortnames"
          other -> inspect(other)
        end

      :net_kernel.longnames() ->
        "longnames"

      true ->
        "shortnames"
    end
  end

  defp proto_dist do
    case :init.get_argument(:proto_dist) do
      {:ok, values} -> Enum.map(values, fn args -> Enum.map(args, &List.to_string/1) end)
      :error -> nil
    end
  end

  # The listening TCP sockets of the VM (the distribution listener, and the lab's database listener).
  defp listen_sockets do
    for port <- :erlang.ports(),
        :erlang.port_info(port, :name) == {:name, 'tcp_inet'},
        {:ok, {address, number}} <- [:inet.sockname(port)],
        match?({:error, _}, :inet.peername(port)) do
      "#{format_address(address)}:#{number}"
    end
  end

  defp format_address({_, _, _, _} = address), do: List.to_string(:inet.ntoa(address))
  defp format_address(address), do: "[#{:inet.ntoa(address)}]"

  # The release script exports RELEASE_COOKIE, filled from releases/COOKIE when it was unset or empty.
  defp cookie_source do
    env = System.get_env("RELEASE_COOKIE")
    root = System.get_env("RELEASE_ROOT")

    file =
      case root && File.read(Path.join([root, "releases", "COOKIE"])) do
        {:ok, content} -> String.trim(content)
        _ -> nil
      end

    in_use = if Node.alive?(), do: Atom.to_string(Node.get_cookie()), else: nil

    cond do
      env == nil -> "no RELEASE_COOKIE in the environment"
      in_use != nil and in_use != env -> "something other than RELEASE_COOKIE"
      file != nil and env == file -> "releases/COOKIE"
      true -> "RELEASE_COOKIE from the environment"
    end
  end

  defp presence(nil), do: "unset"
  defp presence(""), do: "empty"
  defp presence(_), do: "set"

  defp otp_version do
    release = :erlang.system_info(:otp_release)
    path = Path.join([:code.root_dir(), "releases", List.to_string(release), "OTP_VERSION"])

    case File.read(path) do
      {:ok, version} -> String.trim(version)
      _ -> List.to_string(release)
    end
  end

  defp maybe_db(check) do
    if check do
      {host, port} = check
      recorder = self()
      spawn(fn -> GenServer.cast(recorder, {:db, ProbeApp.DB.check(host, port)}) end)
    end
  end

  defp write(state) do
    File.write!("probe.json.tmp", ProbeApp.JSON.encode(state))
    File.rename!("probe.json.tmp", "probe.json")
  end
end
