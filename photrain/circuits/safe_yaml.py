"""Bounded, strict YAML reading for circuit files.

``yaml.safe_load`` runs no code, but it still accepts three things a circuit
file must not contain:

* alias bombs: ``a: &a [x, x]``, ``b: &b [*a, *a]`` ... nine levels deep is
  nine lines of text and 10⁹ nodes for whoever walks the result (gdsfactory's
  validation, a deep copy, a JSON dump). The node graph is measured after
  composition, before anything is built: its size with every alias expanded
  must stay within ``node_budget``; recursive aliases are refused;
* aliases inside ``settings`` (``settings: *shared`` or ``<<: *defaults``):
  instance settings are written out, one value per key;
* duplicate keys: YAML keeps the last one silently, so a second ``ring1:``
  instance would replace the first without a word.

Everything here raises :class:`ValueError` naming the file and line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

#: Largest circuit file read (bytes).
MAX_FILE_BYTES = 4_000_000
#: Most YAML nodes (scalars, lists, mappings) after expanding every alias.
NODE_BUDGET = 200_000
#: Deepest nesting of flow collections ([...] / {...}); PyYAML's scanner is quadratic in it.
MAX_FLOW_DEPTH = 64


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that records where aliases occur and refuses duplicate keys."""

    def __init__(self, stream):
        super().__init__(stream)
        self._path: list = []
        self.aliases: list[tuple[tuple, str, int]] = []  # (key path, anchor, line)

    def compose_node(self, parent, index):
        key = index.value if isinstance(index, yaml.ScalarNode) else index
        self._path.append(key)
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self.aliases.append((tuple(self._path), event.anchor, event.start_mark.line + 1))
        try:
            return super().compose_node(parent, index)
        finally:
            self._path.pop()

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                hint = (" (inside {...} a comma separates entries: quote 'instance,port' values)"
                        if node.flow_style else "")
                raise ValueError(f"line {line}: duplicate key {key_node.value!r} (first at line {seen[key_node.value]}); "
                                 f"YAML would silently keep only the last one: rename or remove one of them{hint}")
            seen[key_node.value] = line
        return node


def expanded_size(root: yaml.Node, limit: int) -> int:
    """Number of nodes in ``root`` with every alias expanded (stops counting past ``limit``).

    Shared nodes are counted once per use, as a walker of the loaded data would
    meet them; each distinct node is visited once (memoised), so an alias bomb
    is measured in microseconds. Raises ValueError on a recursive alias.
    """
    size: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            on_stack.discard(nid)
            children = _children(node)
            size[nid] = min(limit + 1, 1 + sum(size[id(c)] for c in children))
            continue
        if nid in size:
            continue
        if nid in on_stack:
            line = node.start_mark.line + 1
            raise ValueError(f"line {line}: a YAML alias refers to its own anchor (a recursive structure); "
                             "write the data out instead")
        on_stack.add(nid)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_stack:
                line = child.start_mark.line + 1
                raise ValueError(f"line {line}: a YAML alias refers to its own anchor (a recursive structure); "
                                 "write the data out instead")
            if id(child) not in size:
                stack.append((child, False))
    return size[id(root)]


def _flow_depth(raw: bytes) -> int:
    """Deepest bracket nesting of ``raw`` (brackets inside quotes counted too: an upper bound), in one pass."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_FLOW_DEPTH:
        return 0
    depth = deepest = 0
    for i in range(0, len(raw), 1 << 16):  # 64 kB at a time: a few MB of brackets stay a few hundred kB of memory
        b = np.frombuffer(raw, dtype=np.uint8, count=min(1 << 16, len(raw) - i), offset=i)
        step = ((b == ord("[")) | (b == ord("{"))).astype(np.int32) - ((b == ord("]")) | (b == ord("}")))
        levels = depth + np.cumsum(step)
        deepest, depth = max(deepest, int(levels.max())), int(levels[-1])
    return deepest


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load_bounded(path: str | Path, *, node_budget: int = NODE_BUDGET, max_bytes: int = MAX_FILE_BYTES):
    """Read YAML from ``path`` safely, within a node budget, without aliases in ``settings`` or duplicate keys."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; pass a circuit file such as circuits/ring_filter.pic.yml")
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"{path}: {size} bytes is more than a circuit file holds (limit {max_bytes} bytes); "
                         "is this the right file?")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text (byte {err.start}); circuit files are YAML text") from err
    if _flow_depth(raw) > MAX_FLOW_DEPTH:
        raise ValueError(f"{path}: YAML nested too deeply to be a circuit (more than {MAX_FLOW_DEPTH} levels of [ or {{)")
    try:
        loader = _StrictLoader(text)
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML ({' '.join(str(err).split())})") from err
    try:
        try:
            root = loader.get_single_node()
        except RecursionError as err:
            raise ValueError(f"{path}: YAML nested too deeply to be a circuit") from err
        except yaml.YAMLError as err:
            raise ValueError(f"{path}: not valid YAML ({' '.join(str(err).split())})") from err
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from err
        if root is None:
            return None
        for keys, anchor, line in loader.aliases:
            if "settings" in keys:
                raise ValueError(f"{path}: line {line}: alias *{anchor} inside 'settings'; "
                                 "write the settings out (anchors and aliases are not allowed there)")
        try:
            n = expanded_size(root, node_budget)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from err
        if n > node_budget:
            what = "its YAML aliases expand to" if loader.aliases else "it holds"
            raise ValueError(f"{path}: {what} more than {node_budget} nodes (an alias bomb?); "
                             "a circuit file needs far fewer: write the structure out without '*' aliases")
        try:
            return loader.construct_document(root)
        except RecursionError as err:
            raise ValueError(f"{path}: YAML nested too deeply to be a circuit") from err
        except yaml.YAMLError as err:
            raise ValueError(f"{path}: not valid YAML ({' '.join(str(err).split())})") from err
    finally:
        loader.dispose()
