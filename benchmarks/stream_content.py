"""Deterministic Markdown for the streaming benchmark: one long reply and a history.

The long reply mixes what bots really send (prose, nested lists, tables, fenced code
in a few languages, quotes) so the Markdown widget does every kind of work; a seeded
generator makes every run stream exactly the same bytes.
"""

from __future__ import annotations

import random

SEED = 20_000
REPLY_CHARS = 80_000  # about 20k tokens at ~4 characters a token
WORD_TEXT = (
    "terminal stream token widget layout render markdown latency buffer socket "
    "reply prompt model balance points cursor scroll anchor frame paint batch "
    "parser fragment compositor budget history session window table column row "
    "the a of to and in is it that for on with as by this from at be are was"
)
WORDS = WORD_TEXT.split()

CODE_SAMPLES = {
    "python": (
        "def render(blocks: list[str], width: int) -> list[str]:\n"
        "    lines = []\n"
        "    for block in blocks:\n"
        "        lines.extend(wrap(block, width))\n"
        "    return lines\n"
    ),
    "rust": (
        "fn main() {\n"
        "    let chunks: Vec<&str> = text.split_whitespace().collect();\n"
        '    println!("{} chunks", chunks.len());\n'
        "}\n"
    ),
    "bash": 'for f in *.md; do\n  wc -c "$f"\ndone | sort -n | tail -5\n',
}


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    if rng.random() < 0.3:
        words[rng.randrange(len(words))] = f"`{rng.choice(WORDS)}()`"
    if rng.random() < 0.3:
        words[rng.randrange(len(words))] = f"**{rng.choice(WORDS)}**"
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))


def bullet_list(rng: random.Random) -> str:
    items = []
    for _ in range(rng.randint(3, 6)):
        items.append(f"- {sentence(rng)}")
        if rng.random() < 0.3:
            items.append(f"  - {sentence(rng)}")
    return "\n".join(items)


def numbered_list(rng: random.Random) -> str:
    return "\n".join(f"{n}. {sentence(rng)}" for n in range(1, rng.randint(3, 6) + 1))


def table(rng: random.Random) -> str:
    columns = ["Name", "Tokens", "Latency (ms)", "Notes"]
    rows = [
        f"| {rng.choice(WORDS)}-{n} | {rng.randint(10, 9999):,} | {rng.uniform(1, 500):.1f} "
        f"| {' '.join(rng.choice(WORDS) for _ in range(4))} |"
        for n in range(rng.randint(4, 8))
    ]
    return "\n".join([f"| {' | '.join(columns)} |", "|---|---:|---:|---|", *rows])


def code_block(rng: random.Random) -> str:
    language = rng.choice(sorted(CODE_SAMPLES))
    return f"```{language}\n{CODE_SAMPLES[language]}```"


def quote(rng: random.Random) -> str:
    return f"> {sentence(rng)} {sentence(rng)}"


BLOCKS = (paragraph, paragraph, paragraph, bullet_list, numbered_list, table, code_block, quote)


def long_reply(chars: int = REPLY_CHARS, seed: int = SEED) -> str:
    """About `chars` characters of mixed Markdown, cut at a block boundary."""
    rng = random.Random(seed)
    parts = ["# A long answer"]
    size = len(parts[0])
    section = 0
    while size < chars:
        if rng.random() < 0.15:
            section += 1
            block = f"## Part {section}: {rng.choice(WORDS)} and {rng.choice(WORDS)}"
        else:
            block = rng.choice(BLOCKS)(rng)
        parts.append(block)
        size += len(block) + 2
    return "\n\n".join(parts) + "\n"


def chunks(text: str, count: int) -> list[str]:
    """`text` in `count` nearly equal pieces, cut anywhere (real streams cut mid-word)."""
    size, extra = divmod(len(text), count)
    pieces, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        pieces.append(text[start:end])
        start = end
    return [p for p in pieces if p]


def history(turns: int, seed: int = SEED + 1) -> list[tuple[str, str]]:
    """`turns` (prompt, reply) pairs; replies a few hundred characters of Markdown."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(turns):
        prompt = sentence(rng)
        blocks = [paragraph(rng), rng.choice(BLOCKS[3:])(rng), paragraph(rng)]
        pairs.append((prompt, "\n\n".join(blocks)))
    return pairs
