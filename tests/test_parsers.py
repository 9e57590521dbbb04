"""Parsers: each syntax the issue names, with positions checked in the original file's coordinates."""

from __future__ import annotations

from pathlib import Path

import pytest

from fly_cluster_lint.parsers import ParseError
from fly_cluster_lint.parsers.dockerfile import parse_dockerfile
from fly_cluster_lint.parsers.elixir import Atom, parse_elixir
from fly_cluster_lint.parsers.shell import NOT_ON_FLY, ON_FLY, parse_env_sh
from fly_cluster_lint.parsers.toml import parse_toml
from fly_cluster_lint.parsers.words import Cmd, Eex, Lit, Var, render
from fly_cluster_lint.source import SourceFile


def src(data: bytes | str, name: str = "f") -> SourceFile:
    return SourceFile(Path(name), name, data.encode() if isinstance(data, str) else data)


def at(span) -> tuple:
    return (span.line, span.column, span.end_line, span.end_column)


# -- Dockerfile -------------------------------------------------------------------------------------------------

def env_of_final(text: bytes | str) -> dict:
    doc = parse_dockerfile(src(text, "Dockerfile"))
    return {e.key: e for e in doc.env_of(doc.final)}


def test_dockerfile_stages_and_inheritance() -> None:
    doc = parse_dockerfile(src(
        "FROM elixir:1.17 AS build\nENV A=1\nFROM build AS release\nENV B=2\nFROM debian:bookworm AS final\nENV C=3\n"))
    assert [(s.base, s.alias, s.parent) for s in doc.stages] == [
        ("elixir:1.17", "build", None), ("build", "release", 0), ("debian:bookworm", "final", None)]
    assert [e.key for e in doc.env_of(doc.stages[1])] == ["A", "B"]  # FROM <stage> inherits
    assert [e.key for e in doc.env_of(doc.final)] == ["C"]  # FROM <image> starts clean


def test_dockerfile_env_forms_and_positions() -> None:
    env = env_of_final('FROM x\nENV a=b c="d e" \\\n    f=\'$g\'\nenv LEGACY some value here\nENV ERL_AFLAGS "-proto_dist inet6_tcp"\n')
    assert env["a"].parts == (Lit("b"),) and at(env["a"].value_span) == (2, 7, 2, 8)
    assert env["c"].parts == (Lit("d e"),) and at(env["c"].key_span) == (2, 9, 2, 10)
    assert env["f"].parts == (Lit("$g"),) and at(env["f"].value_span) == (3, 7, 3, 11)
    assert env["LEGACY"].parts == (Lit("some value here"),) and env["LEGACY"].legacy
    assert at(env["LEGACY"].value_span) == (4, 12, 4, 27)
    assert env["ERL_AFLAGS"].parts == (Lit("-proto_dist inet6_tcp"),)
    assert at(env["ERL_AFLAGS"].value_span) == (5, 16, 5, 39)


def test_dockerfile_legacy_env_does_not_hide_later_instructions() -> None:
    doc = parse_dockerfile(src("FROM x AS b\nENV A one two\nCOPY rel rel\nRUN mix release\nFROM b\nENV Z=1\n"))
    assert [i.keyword for i in doc.stages[0].instructions] == ["FROM", "ENV", "COPY", "RUN"]
    assert [e.key for e in doc.env_of(doc.final)] == ["A", "Z"]


def test_dockerfile_crlf_continuation_keeps_positions() -> None:
    # tree-sitter-dockerfile 0.2.0 turns everything after a CRLF continuation into one ERROR node.
    env = env_of_final(b"FROM x\r\nENV A=1 \\\r\n    B=2\r\nENV C=3\r\n")
    assert [k for k in env] == ["A", "B", "C"]
    assert at(env["B"].value_span) == (3, 7, 3, 8) and at(env["C"].value_span) == (4, 7, 4, 8)


def test_dockerfile_bom_comments_directives_and_escape() -> None:
    text = "\ufeff# escape=`\n# a comment\nFROM x\nENV A=1 `\n  # comment inside\n  B=\"two words\"\nRUN echo hi\n"
    doc = parse_dockerfile(src(text.encode("utf-8")))
    env = {e.key: e for e in doc.env_of(doc.final)}
    assert env["B"].parts == (Lit("two words"),)
    assert at(env["A"].key_span) == (4, 5, 4, 6)  # the BOM is not a column
    assert at(doc.stages[0].from_span)[:2] == (3, 1)


def test_dockerfile_heredoc_and_unknown_instruction() -> None:
    doc = parse_dockerfile(src("FROM x\nRUN <<EOF\nmix deps.get\nmix release\nEOF\nCMD [\"/app/bin/server\"]\n"))
    run = doc.stages[0].instructions[1]
    assert run.keyword == "RUN" and "mix release" in run.heredoc
    assert doc.stages[0].instructions[2].keyword == "CMD"
    with pytest.raises(ParseError) as err:
        parse_dockerfile(src("FROM x\nfrom y\nCOPPY a b\n"))
    assert (err.value.line, err.value.column, err.value.message) == (3, 1, "unknown instruction `COPPY`")


def test_dockerfile_build_time_refs_are_kept() -> None:
    env = env_of_final("FROM x\nENV RELEASE_NODE=${FLY_APP_NAME}@${FLY_PRIVATE_IP}\n")
    assert env["RELEASE_NODE"].parts == (Var("FLY_APP_NAME"), Lit("@"), Var("FLY_PRIVATE_IP"))


# -- env.sh.eex -------------------------------------------------------------------------------------------------

def script(text: str, eex: dict | None = None):
    return parse_env_sh(src(text, "rel/env.sh.eex"), eex)


def test_eex_tags_are_masked_and_values_filled_in() -> None:
    s = script('#!/bin/sh\n<%# export A=1 %>\n<% if @x do %>\nexport B="<%= @release.name %>-<%= @release.version %>"\n<% end %>\n',
               {"@release.name": "hello", "@release.version": "0.1.0"})
    assert [a.name for a in s.assignments] == ["B"]  # EEx comments do not count
    b = s.assignments[0]
    assert b.parts == (Eex("@release.name", "hello"), Lit("-"), Eex("@release.version", "0.1.0"))
    assert at(b.value_span) == (4, 10, 4, 56)
    assert render(b.parts) == "hello-0.1.0"


def test_errors_inside_eex_tags_are_not_shell_errors() -> None:
    s = script('export A=1\n<%= if @cond, do: "( [[ unbalanced", else: "\'" %>\nexport B=2\n')
    assert [a.name for a in s.assignments] == ["A", "B"]


def test_shell_error_position_and_unterminated_tag() -> None:
    with pytest.raises(ParseError) as err:
        script("export A=1\nif [ -n \"$X\" ]; then\n  export B=2\n")
    assert (err.value.line, err.value.column) == (4, 1)
    with pytest.raises(ParseError) as err:
        script("export A=1\nexport B=<%= @release.name\n")
    assert (err.value.line, err.value.column, err.value.message) == (2, 10, "unterminated EEx tag `<%`")


def test_shell_conditions() -> None:
    s = script(
        '# export C=commented\n'
        'if [ -n "$FLY_APP_NAME" ]; then\n  export A=1\nelse\n  export B=2\nfi\n'
        'if [ -z "$FLY_APP_NAME" ]; then export N=1; fi\n'
        'if [ -z "$RELEASE_COOKIE" ]; then export RELEASE_COOKIE=x; fi\n'
        'case $RELEASE_COMMAND in\n  start*|daemon*) export E="-x" ;;\n  *) ;;\nesac\n'
        '[ -n "$FLY_APP_NAME" ] && export F=1\n'
        'ip=$(grep fly-local-6pn /etc/hosts | cut -f 1)\n'
        'X="$X more"\nexport X\n'
    )
    by = {a.name: a for a in s.assignments}
    assert "C" not in by
    assert by["A"].fly == ON_FLY and by["B"].fly == NOT_ON_FLY and by["N"].fly == NOT_ON_FLY
    assert by["RELEASE_COOKIE"].default_only
    assert by["E"].commands == frozenset({"start", "start_iex", "daemon", "daemon_iex"})
    assert by["F"].fly == ON_FLY
    assert by["ip"].parts == (Cmd("grep fly-local-6pn /etc/hosts | cut -f 1"),) and not by["ip"].exported
    assert by["X"].parts == (Var("X"), Lit(" more")) and "X" in s.exported


def test_shell_expansions() -> None:
    s = script('export RELEASE_NODE=${RELEASE_NODE:-<%= @release.name %>@$(hostname)}\n'
               'export N="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"\nexport Q=\'lit $X\'\n',
               {"@release.name": "hello"})
    by = {a.name: a for a in s.assignments}
    assert by["RELEASE_NODE"].parts == (Var("RELEASE_NODE", ":-", (Eex("@release.name", "hello"), Lit("@"), Cmd("hostname"))),)
    assert by["N"].parts == (Var("FLY_APP_NAME"), Lit("-"), Var("FLY_IMAGE_REF", "##", (Lit("*-"),)), Lit("@"),
                             Var("FLY_PRIVATE_IP"))
    assert by["Q"].parts == (Lit("lit $X"),)


def test_shell_crlf_and_bom_positions() -> None:
    s = script("\ufeffexport A=1\r\nexport B=two\r\n")
    by = {a.name: a for a in s.assignments}
    assert by["B"].parts == (Lit("two"),)
    assert at(by["A"].value_span) == (1, 10, 1, 11) and at(by["B"].value_span) == (2, 10, 2, 13)


# -- TOML -------------------------------------------------------------------------------------------------------

def test_toml_values_and_key_positions() -> None:
    doc = parse_toml(src('app = "hello"\n\n[build]\n  dockerfile = "Dockerfile.fly"\n\n[env]\n  PORT = 8080\n'
                         '  "DNS_CLUSTER_QUERY" = "hello.internal"\n\n[[vm]]\n  size = "shared-cpu-1x"\n'
                         'http_service.internal_port = 1\n'))
    assert doc.get("env", "PORT") == 8080
    assert at(doc.key_span(("app",))) == (1, 1, 1, 4)
    assert at(doc.value_span(("env", "PORT"))) == (7, 10, 7, 14)
    assert at(doc.key_span(("env", "DNS_CLUSTER_QUERY"))) == (8, 3, 8, 22)
    assert at(doc.value_span(("build", "dockerfile"))) == (4, 16, 4, 32)
    assert at(doc.key_span(("vm", 0, "size"))) == (11, 3, 11, 7)


def test_toml_errors_and_duplicate_keys() -> None:
    with pytest.raises(ParseError) as err:
        parse_toml(src('app = "a"\napp = "b"\n'))
    assert err.value.line == 2
    with pytest.raises(ParseError) as err:
        parse_toml(src('[env]\nA = \n'))
    assert (err.value.line, err.value.column) == (2, 5)


# -- Elixir -----------------------------------------------------------------------------------------------------

def test_elixir_literals_and_error_position() -> None:
    f = parse_elixir(src('config :hello, HelloWeb.Endpoint,\n  # a comment\n  url: [host: "x"], server: true\n'))
    call = next(f.calls("config"))
    args = f.args(call)
    assert f.literal(args[0]) == Atom("hello") and len(args) == 3
    assert set(f.keywords(args[2])) == {"url", "server"}
    with pytest.raises(ParseError) as err:
        parse_elixir(src("defmodule A do\n  def x, do: [1,\nend\n"))
    assert (err.value.line, err.value.column, err.value.message) == (3, 1, "Elixir syntax error: unexpected `end`")
