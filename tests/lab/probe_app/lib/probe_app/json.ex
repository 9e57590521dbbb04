defmodule ProbeApp.JSON do
  @moduledoc false
  # Enough JSON for the probe's report (Elixir 1.14 has no JSON module and the probe has no dependencies).

  def encode(nil), do: "null"
  def encode(true), do: "true"
  def encode(false), do: "false"
  def encode(value) when is_atom(value), do: string(Atom.to_string(value))
  def encode(value) when is_integer(value), do: Integer.to_string(value)
  def encode(value) when is_float(value), do: Float.to_string(value)
  def encode(value) when is_binary(value), do: string(value)
  def encode(value) when is_list(value), do: "[" <> Enum.map_join(value, ",", &encode/1) <> "]"

  def encode(value) when is_map(value) do
    "{" <> Enum.map_join(value, ",", fn {k, v} -> string(to_string(k)) <> ":" <> encode(v) end) <> "}"
  end

  def encode(value), do: string(inspect(value))

  defp string(text) do
    text = if String.valid?(text), do: text, else: inspect(text)
    "\"" <> escape(text, "") <> "\""
  end

  defp escape(<<>>, acc), do: acc
  defp escape(<<?", rest::binary>>, acc), do: escape(rest, acc <> "\\\"")
  defp escape(<<?\\, rest::binary>>, acc), do: escape(rest, acc <> "\\\\")
  defp escape(<<?\n, rest::binary>>, acc), do: escape(rest, acc <> "\\n")
  defp escape(<<?\r, rest::binary>>, acc), do: escape(rest, acc <> "\\r")
  defp escape(<<?\t, rest::binary>>, acc), do: escape(rest, acc <> "\\t")

  defp escape(<<c, rest::binary>>, acc) when c < 0x20,
    do: escape(rest, acc <> "\\u" <> String.pad_leading(Integer.to_string(c, 16), 4, "0"))

  defp escape(<<c::utf8, rest::binary>>, acc), do: escape(rest, acc <> <<c::utf8>>)
end
