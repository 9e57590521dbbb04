# Renders release templates the way `mix release` does: EEx with `@release` assigned (its name, an atom, and
# its version). Reads a manifest of "template<TAB>destination<TAB>release name<TAB>version" lines; a template
# that does not render leaves `<destination>.error` instead. Prints the Elixir and OTP versions as JSON.
[manifest] = System.argv()

for line <- String.split(File.read!(manifest), "\n", trim: true) do
  [source, destination, name, version] = String.split(line, "\t")
  File.mkdir_p!(Path.dirname(destination))

  release = %{
    name: String.to_atom(name),
    version: version,
    path: "/app",
    version_path: "/app/releases/" <> version,
    options: []
  }

  try do
    File.write!(destination, EEx.eval_file(source, assigns: [release: release]))
  rescue
    error -> File.write!(destination <> ".error", Exception.format(:error, error, __STACKTRACE__))
  end
end

otp = :erlang.system_info(:otp_release) |> List.to_string()
otp_file = Path.join([:code.root_dir(), "releases", otp, "OTP_VERSION"])
otp_version = case File.read(otp_file) do
  {:ok, text} -> String.trim(text)
  _ -> otp
end

IO.puts(~s({"elixir": "#{System.version()}", "otp": "#{otp_version}"}))
