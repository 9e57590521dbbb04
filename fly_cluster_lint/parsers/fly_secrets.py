"""What `fly secrets list` prints, as JSON (`--json`) or as its table: the names of an app's secrets.

Only names are read. The digest and the dates in each row are skipped without being kept, so nothing of a
value ever reaches the model or any output, and an error about the file never quotes it.

JSON: a list of objects with a `Name` (or `name`) key, as flyctl renders its secrets; a top-level object
holding such a list under `secrets` is accepted too. Table: the row that starts with `NAME` is the header;
each later row's first cell is a name. Cells may be separated by spaces, tabs or `|`, and border lines of
`-`, `+`, `=` or box-drawing characters are skipped.
"""

from __future__ import annotations

from fly_cluster_lint.errors import ToolError

BORDER = set("-+=|:─━│┃┌┐└┘├┤┬┴┼═║╔╗╚╝╠╣╦╩╬ \t")


def is_name(text: str) -> bool:
    """A variable name as a shell and Fly accept it: letters, digits and `_`, not starting with a digit."""
    return bool(text) and (text[0].isascii() and (text[0].isalpha() or text[0] == "_")) and all(
        ch.isascii() and (ch.isalnum() or ch == "_") for ch in text)


def parse_names(data: bytes, shown: str) -> list[str]:
    """The secret names in the output of `fly secrets list` (`shown` names the file in errors)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ToolError(f"{shown}: not the output of `fly secrets list` (not UTF-8 text)") from None
    stripped = text.strip()
    if not stripped:
        return []
    if stripped[0] in "[{":
        return _from_json(stripped, shown)
    return _from_table(text, shown)


def _from_json(text: str, shown: str) -> list[str]:
    import json

    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", 1)
        raise ToolError(f"{shown}:{line}: not the JSON that `fly secrets list --json` prints") from None
    if isinstance(doc, dict):
        doc = next((v for k, v in doc.items() if k.lower() == "secrets"), None)
    if not isinstance(doc, list):
        raise ToolError(f"{shown}: expected the list that `fly secrets list --json` prints")
    out = []
    for index, item in enumerate(doc, 1):
        name = None
        if isinstance(item, dict):
            name = next((v for k, v in item.items() if isinstance(k, str) and k.lower() == "name"), None)
        if not isinstance(name, str) or not is_name(name):
            raise ToolError(f"{shown}: entry {index} has no `Name` that is a variable name")
        out.append(name)
    return out


def _from_table(text: str, shown: str) -> list[str]:
    out: list[str] = []
    header = False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or set(line) <= BORDER:
            continue
        cells = [c for c in line.replace("|", " ").replace("│", " ").replace("┃", " ").split() if c]
        if not header:
            if cells and cells[0].upper() == "NAME":
                header = True
                continue
            raise ToolError(f"{shown}:{number}: not the output of `fly secrets list` (no NAME header before "
                            f"this line)")
        if not is_name(cells[0]):
            raise ToolError(f"{shown}:{number}: the first column is not a variable name")
        out.append(cells[0])
    if not header:
        raise ToolError(f"{shown}: not the output of `fly secrets list` (no NAME header)")
    return out
