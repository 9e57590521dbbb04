defmodule ProbeApp.DNSCluster do
  @moduledoc """
  A discovery step equivalent to dns_cluster's: resolve the query's A and AAAA records with
  `:inet_res.getbyname/2` (lookup errors give no addresses), build `<own basename>@<address as :inet.ntoa/1
  prints it>`, skip the node itself and the nodes already connected, `Node.connect/1` the rest (concurrently,
  10 s timeout each), and repeat. A query of `:ignore` makes `init/1` return `:ignore`, as dns_cluster does.
  Every round is handed to the recorder.
  """
  use GenServer

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, name: Keyword.get(opts, :name, __MODULE__))
  end

  @impl true
  def init(opts) do
    case Keyword.fetch!(opts, :query) do
      :ignore ->
        ProbeApp.Recorder.discovery(%{"child" => "dns_cluster", "state" => "ignore"})
        :ignore

      query ->
        ProbeApp.Recorder.discovery(%{"child" => "dns_cluster", "state" => "running", "query" => inspect(query)})
        send(self(), :discover)
        {:ok, %{query: query, round: 0}}
    end
  end

  @impl true
  def handle_info(:discover, state) do
    started = System.os_time(:millisecond)
    basename = node() |> Atom.to_string() |> String.split("@") |> hd()
    {addresses, lookups} = resolve(state.query)

    targets =
      for address <- addresses,
          name = :"#{basename}@#{:inet.ntoa(address)}",
          name != node() and name not in Node.list(),
          uniq: true,
          do: name

    attempts = ProbeApp.Connect.all(targets)

    ProbeApp.Recorder.round(%{
      "mode" => "dns_cluster",
      "round" => state.round + 1,
      "started_ms" => started,
      "finished_ms" => System.os_time(:millisecond),
      "query" => inspect(state.query),
      "lookups" => lookups,
      "addresses" => Enum.map(addresses, &List.to_string(:inet.ntoa(&1))),
      "attempts" => attempts,
      "node_list" => Enum.map(Node.list(), &Atom.to_string/1)
    })

    Process.send_after(self(), :discover, ProbeApp.Settings.interval())
    {:noreply, %{state | round: state.round + 1}}
  end

  defp resolve(query) when is_binary(query) do
    results =
      for type <- [:a, :aaaa] do
        case :inet_res.getbyname(String.to_charlist(query), type) do
          {:ok, hostent} -> {type, elem(hostent, 5), "ok"}
          {:error, reason} -> {type, [], inspect(reason)}
        end
      end

    addresses = Enum.flat_map(results, fn {_type, addresses, _} -> addresses end)
    lookups = for {type, found, status} <- results, into: %{}, do: {Atom.to_string(type), "#{status} (#{length(found)})"}
    {addresses, lookups}
  end

  # A query of another type (a list, a tuple) is what dns_cluster 0.1.x rejects; the probe only records it.
  defp resolve(other), do: {[], %{"error" => "not a string: " <> inspect(other)}}
end
