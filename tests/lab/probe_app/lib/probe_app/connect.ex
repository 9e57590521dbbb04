defmodule ProbeApp.Connect do
  @moduledoc false

  # Node.connect/1 on every target at once, 10 s each (dns_cluster's default connect_timeout).
  def all(targets) do
    targets
    |> Task.async_stream(&attempt/1, max_concurrency: max(length(targets), 1), timeout: 10_000, on_timeout: :kill_task)
    |> Enum.zip(targets)
    |> Enum.map(fn
      {{:ok, result}, _target} -> result
      {{:exit, reason}, target} -> %{"target" => Atom.to_string(target), "result" => "exit: " <> inspect(reason)}
    end)
  end

  defp attempt(target) do
    started = System.monotonic_time(:millisecond)
    result = Node.connect(target)

    %{
      "target" => Atom.to_string(target),
      "result" => inspect(result),
      "ms" => System.monotonic_time(:millisecond) - started
    }
  end
end
