"""A file form written back as a file, in the layout of the real collection, so that
``parse(serialise(x)) == x`` and an unchanged record writes back the bytes it was read from."""

from __future__ import annotations

import yaml

from catalog.fileformat.rules import SLUG_RE

_LINE_BREAKS = "\x85\u2028\u2029"


def plain_slug(slug):
    """A category slug as the real files write it: bare, unless YAML would read it otherwise."""
    if SLUG_RE.match(slug):
        try:
            if yaml.safe_load(slug) == slug:
                return slug
        except (yaml.YAMLError, ValueError):  # "0x_": PyYAML takes it for a number it can't read
            pass
    return yaml_scalar(slug, '"')


def yaml_scalar(value, quote):
    """One YAML scalar, quoted as the real files quote it, escaped by PyYAML's emitter."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return yaml.safe_dump(value, default_flow_style=True).removesuffix("\n...\n").strip()
    if quote == "'" and any(ch in _LINE_BREAKS for ch in value):
        quote = '"'  # PyYAML's single-quoted style folds these; the double-quoted escapes them
    return yaml.safe_dump(
        str(value), default_style=quote, allow_unicode=True, width=float("inf")
    ).rstrip("\n")


class _ExtraDumper(yaml.SafeDumper):
    """Safe YAML out, with strings holding NEL/LS/PS double-quoted (PyYAML folds them else)."""


def _represent_str(dumper, value):
    style = '"' if any(ch in _LINE_BREAKS for ch in value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ExtraDumper.add_representer(str, _represent_str)


def _yaml_extra(key, value):
    """An extra key as YAML (block style), in the form it came in as far as YAML allows."""
    return yaml.dump(
        {key: value},
        Dumper=_ExtraDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=float("inf"),
    ).rstrip("\n")


def _document(lines, extra, body):
    lines = ["---", *lines, *(_yaml_extra(k, v) for k, v in extra), "---"]
    text = "\n".join(lines) + "\n"
    return text + "\n" + body + "\n" if body else text


def serialise(item) -> str:
    """A guide's or category's file: its schema's keys in order, each written by its kind,
    then the extra keys as read, then the body."""
    schema = item.schema
    lines = (key.kind.line(key.key, getattr(item, key.attr), schema.quote) for key in schema.keys)
    return _document([line for line in lines if line is not None], item.extra, item.body)


# The names callers know each kind's writer by; one function writes both.
serialise_guide = serialise_category = serialise
