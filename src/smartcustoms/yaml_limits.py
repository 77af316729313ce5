"""YAML from users (risk profiles, CSV mappings, risk settings, offices) read within limits.

PyYAML shares an aliased node instead of copying it, so a 250-byte "billion laughs" (anchors whose aliases
refer to anchors, nine deep) composes quickly, but anything that walks the result (a profile's line-keeping
conversion, pydantic) visits it billions of times: the server grew past 6 GB in a minute. Every YAML text we
read from users therefore goes through these limits (docs/reliability.md):

- at most ``MAX_BYTES`` (256 KiB) of text;
- at most ``MAX_ALIASES`` (20) aliases in a text;
- at most ``MAX_NODES`` (50,000) nodes once every alias is counted as the node it stands for, and nesting at
  most ``MAX_DEPTH`` (30) deep.

Breaking one raises ``YAMLLimitError``, a ``yaml.YAMLError``: every reader already turns those into its own
clean refusal ("YAML syntax: ...").
"""

import yaml

MAX_BYTES = 256 * 1024
MAX_ALIASES = 20
MAX_NODES = 50_000
MAX_DEPTH = 30


class YAMLLimitError(yaml.YAMLError):
    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


class LimitedComposer:
    """Mix in before a PyYAML loader class (``class L(LimitedComposer, yaml.SafeLoader)``): counts aliases and
    depth while composing, and refuses a document whose expanded size passes the limit."""

    def compose_node(self, parent, index):
        self._yaml_aliases = getattr(self, "_yaml_aliases", 0)
        self._yaml_depth = getattr(self, "_yaml_depth", 0) + 1
        try:
            if self.check_event(yaml.AliasEvent):
                self._yaml_aliases += 1
                if self._yaml_aliases > MAX_ALIASES:
                    raise YAMLLimitError(f"more than {MAX_ALIASES} aliases (*name): write the values out")
            if self._yaml_depth > MAX_DEPTH:
                raise YAMLLimitError(f"nested more than {MAX_DEPTH} deep")
            return super().compose_node(parent, index)
        finally:
            self._yaml_depth -= 1

    def compose_document(self):
        node = super().compose_document()
        if node is not None and expanded_size(node) > MAX_NODES:
            raise YAMLLimitError(f"more than {MAX_NODES:,} values once its aliases are expanded")
        return node


def expanded_size(node: yaml.Node, limit: int = MAX_NODES) -> int:
    """How many nodes `node` stands for with every shared (aliased) node counted each time it is used; stops
    counting past `limit`. Linear in the composed graph (each node's size is computed once)."""
    sizes: dict[int, int] = {}

    def size(current: yaml.Node) -> int:
        key = id(current)
        if key in sizes:
            return sizes[key]
        sizes[key] = limit + 1  # a node that contains itself (a recursive alias) counts as too large
        total = 1
        if isinstance(current, yaml.SequenceNode):
            children = current.value
        elif isinstance(current, yaml.MappingNode):
            children = [part for pair in current.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[key] = min(total, limit + 1)
        return sizes[key]

    return size(node)


def check_size(text: str | bytes) -> None:
    if len(text) > MAX_BYTES:
        raise YAMLLimitError(f"the text has more than {MAX_BYTES:,} characters")


class SafeLoader(LimitedComposer, yaml.SafeLoader):
    """yaml.SafeLoader within the limits."""


def safe_load(text: str | bytes):
    """``yaml.safe_load`` within the limits (raises YAMLLimitError, a yaml.YAMLError)."""
    check_size(text)
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a SafeLoader
