defmodule ProbeApp.Settings do
  @moduledoc """
  The lab's instrument settings, read from `probe.conf` (Erlang terms) in the working folder. They never carry
  clustering configuration: that reaches the probe only through the environment and config/runtime.exs.

      {children, dns_cluster}.          % dns_cluster | dns_poll | none | duplicate_in_two_trees | ...
      {interval, 200}.                  % ms between discovery rounds and between snapshots
      {db_check, {"app-db.internal", 5432}}.
  """

  def get(key, default) do
    Keyword.get(all(), key, default)
  end

  def all do
    case :persistent_term.get({__MODULE__, :settings}, nil) do
      nil ->
        settings =
          case :file.consult('probe.conf') do
            {:ok, terms} -> for {key, value} <- terms, do: {key, value}
            {:error, _} -> []
          end

        :persistent_term.put({__MODULE__, :settings}, settings)
        settings

      settings ->
        settings
    end
  end

  def interval, do: get(:interval, 200)
end
