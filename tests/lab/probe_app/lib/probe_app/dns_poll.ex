defmodule ProbeApp.DNSPoll do
  @moduledoc """
  A discovery step equivalent to libcluster's `Cluster.Strategy.DNSPoll`: resolve the query's A and AAAA
  records with `:inet_res.lookup/3`, build `<node_basename>@<address as :inet_parse.ntoa/1 prints it>` with the
  configured basename (not the node's own), drop the node itself and connect to the others not yet connected.
  """
  use GenServer

  def start_link(config), do: GenServer.start_link(__MODULE__, config, name: __MODULE__)

  @impl true
  def init(config) do
    query = Keyword.get(config, :query)
    basename = Keyword.get(config, :node_basename)

    ProbeApp.Recorder.discovery(%{
      "child" => "dns_poll",
      "state" => "running",
      "query" => inspect(query),
      "node_basename" => inspect(basename)
    })

    send(self(), :poll)
    {:ok, %{query: query, basename: basename, round: 0}}
  end

  @impl true
  def handle_info(:poll, %{query: query, basename: basename} = state) do
    started = System.os_time(:millisecond)

    {addresses, targets} =
      if is_binary(query) and query != "" and is_binary(basename) and basename != "" do
        addresses =
          :inet_res.lookup(String.to_charlist(query), :in, :a) ++
            :inet_res.lookup(String.to_charlist(query), :in, :aaaa)

        names = for address <- addresses, do: :"#{basename}@#{:inet_parse.ntoa(address)}"
        {addresses, Enum.uniq(names) -- [node() | Node.list()]}
      else
        {[], []}
      end

    attempts = ProbeApp.Connect.all(targets)

    ProbeApp.Recorder.round(%{
      "mode" => "dns_poll",
      "round" => state.round + 1,
      "started_ms" => started,
      "finished_ms" => System.os_time(:millisecond),
      "query" => inspect(query),
      "node_basename" => inspect(basename),
      "addresses" => Enum.map(addresses, &List.to_string(:inet_parse.ntoa(&1))),
      "attempts" => attempts,
      "node_list" => Enum.map(Node.list(), &Atom.to_string/1)
    })

    Process.send_after(self(), :poll, ProbeApp.Settings.interval())
    {:noreply, %{state | round: state.round + 1}}
  end
end
