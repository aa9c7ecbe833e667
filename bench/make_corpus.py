"""Write a synthetic content folder of N guides, shaped like the real collection.

    python bench/make_corpus.py N OUT_DIR [--seed 1]

15 categories; guides of realistic size (a diagram line, headings, paragraphs and lists,
about 1.3 KB on average like system-design-101), one or two categories each, 2 to 5 tags
drawn from a pool of a few thousand (mixed case, so case-insensitive matching is exercised),
creation dates spread over six years (many guides share a day). Words follow a realistic
distribution: technical terms at the rate the real collection has them (a term such as
"cache" is in about one guide in five), the rest from a Zipf-weighted long tail, so search
benchmarks meet realistic selectivity. Deterministic for a seed.
"""

import argparse
import datetime as dt
import itertools
import random
from pathlib import Path

WORDS = [
    "cache",
    "queue",
    "replica",
    "shard",
    "index",
    "latency",
    "throughput",
    "consensus",
    "leader",
    "follower",
    "log",
    "stream",
    "batch",
    "partition",
    "gateway",
    "proxy",
    "balancer",
    "token",
    "session",
    "cookie",
    "schema",
    "query",
    "transaction",
    "isolation",
    "snapshot",
    "lock",
    "retry",
    "backoff",
    "timeout",
    "circuit",
    "breaker",
    "idempotent",
    "event",
    "service",
    "client",
    "server",
    "request",
    "response",
    "header",
    "payload",
    "compress",
    "encrypt",
    "hash",
    "certificate",
    "handshake",
    "packet",
    "route",
    "region",
    "zone",
    "cluster",
    "node",
    "container",
    "image",
    "deploy",
    "rollback",
    "canary",
    "feature",
    "flag",
    "metric",
    "trace",
    "alert",
    "dashboard",
    "budget",
    "capacity",
    "storage",
    "object",
    "block",
    "file",
    "bucket",
    "blob",
    "cold",
    "warm",
    "hot",
    "tier",
    "eviction",
    "write",
    "read",
    "through",
    "around",
]
CATEGORY_NAMES = [
    "API and Web Development",
    "Real World Case Studies",
    "AI and Machine Learning",
    "Database and Storage",
    "Technical Interviews",
    "Caching and Performance",
    "Payment and Fintech",
    "Software Architecture",
    "DevTools and Productivity",
    "Software Development",
    "Cloud and Distributed Systems",
    "How it Works",
    "DevOps and CI/CD",
    "Security",
    "Computer Fundamentals",
]


SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "ze",
    "pra",
    "sto",
    "gle",
    "tri",
    "bon",
    "dal",
    "fer",
    "gan",
    "hul",
    "jin",
    "kor",
]
TECH_RATE = 0.04  # share of words that are technical terms: each is in about 1 guide in 5,
# as "cache" is in 77 of the 400 real guides


def _filler(rng_seed=7, size=6000):
    """A long tail of made-up words, most frequent first (drawn with Zipf weights)."""
    import random as _random

    rng = _random.Random(rng_seed)
    words = sorted(
        {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(size)}
    )
    rng.shuffle(words)
    return words


FILLER = _filler()
# Zipf weights, summed once: random.choices sums plain weights on every call (6,000 of them),
# and draws exactly the same words from their running total.
FILLER_CUM_WEIGHTS = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(FILLER))))


def word(rng):
    if rng.random() < TECH_RATE:
        return rng.choice(WORDS)
    return rng.choices(FILLER, cum_weights=FILLER_CUM_WEIGHTS)[0]


def sentence(rng, lo=6, hi=18):
    words = [word(rng) for _ in range(rng.randint(lo, hi))]
    return " ".join(words).capitalize() + "."


def body(rng, slug):
    parts = [f"![{slug} diagram](https://example.invalid/diagrams/{slug}.png)", ""]
    for _ in range(rng.randint(2, 4)):
        parts += [
            f"## {sentence(rng, 2, 5)[:-1]}",
            "",
            " ".join(sentence(rng) for _ in range(rng.randint(1, 3))),
            "",
        ]
        if rng.random() < 0.6:
            parts += [
                f"*   **{rng.choice(WORDS)}**: {sentence(rng, 4, 10)}"
                for _ in range(rng.randint(2, 5))
            ] + [""]
    return "\n".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    (args.out / "categories").mkdir(parents=True, exist_ok=True)
    (args.out / "guides").mkdir(exist_ok=True)
    categories = []
    for n, name in enumerate(CATEGORY_NAMES):
        slug = name.lower().replace(" and ", "-").replace(" ", "-").replace("/", "")
        categories.append(slug)
        (args.out / "categories" / f"{slug}.md").write_text(
            f"---\ntitle: '{name}'\ndescription: '{sentence(rng)}'\nimage: ''\nicon: ''\n"
            f"sort: {100 + 10 * (n // 2)}\n---\n\n{sentence(rng, 20, 40)}"
        )
    pool_size = min(3000, max(50, args.n // 6))
    pool = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 2))) + f" {n}"
        for n in range(pool_size)
    ]
    start = dt.date(2019, 1, 1)
    for n in range(args.n):
        slug = f"guide-{n:06d}-{rng.choice(WORDS)}"
        tags = []
        for tag in rng.sample(pool, rng.randint(2, 5)):
            tags.append(tag.title() if rng.random() < 0.3 else tag)
        cats = rng.sample(categories, 2 if rng.random() < 0.1 else 1)
        created = start + dt.timedelta(days=rng.randint(0, 6 * 365))
        text = (
            "---\n"
            f'title: "{sentence(rng, 3, 8)[:-1]}"\n'
            f'description: "{sentence(rng, 8, 16)}"\n'
            f'image: "https://example.invalid/diagrams/{slug}.png"\n'
            f'createdAt: "{created.isoformat()}"\n'
            "draft: false\n"
            "categories:\n"
            + "".join(f"  - {c}\n" for c in cats)
            + "tags:\n"
            + "".join(f'  - "{t}"\n' for t in tags)
            + "---\n\n"
            + body(rng, slug)
        )
        (args.out / "guides" / f"{slug}.md").write_text(text)


if __name__ == "__main__":
    main()
