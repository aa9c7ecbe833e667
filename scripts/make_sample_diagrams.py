"""Draw the diagrams and icons of the bundled sample content (data/public/).

The sample guides must display without internet access, so their diagrams are small PNG
files kept in the repository. This script is how they were made; run it again after editing
DIAGRAMS: ``python scripts/make_sample_diagrams.py``.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "data" / "public"
WIDTH, HEIGHT = 1200, 675
PALETTE = ["#dbeafe", "#dcfce7", "#fef9c3", "#fce7f3", "#ede9fe", "#ffedd5"]

# slug: (title, [box labels in flow order], footer)
DIAGRAMS = {
    "how-dns-resolution-works": (
        "DNS resolution",
        ["Browser", "Resolver", "Root", "TLD (.com)", "Authoritative"],
        "Each answer is cached for its TTL",
    ),
    "tcp-vs-udp": (
        "TCP vs UDP",
        ["SYN", "SYN-ACK", "ACK", "Data + ACKs"],
        "UDP: send datagrams, no handshake, no retransmission",
    ),
    "what-happens-when-you-type-a-url": (
        "Typing a URL",
        ["URL", "DNS", "TCP + TLS", "HTTP", "Render"],
        "Most steps are cached on the next visit",
    ),
    "http-caching-headers": (
        "HTTP caching",
        ["Request", "Cache-Control", "ETag", "304 Not Modified"],
        "Fresh: served from cache. Stale: revalidate",
    ),
    "cache-aside-vs-write-through": (
        "Cache strategies",
        ["App", "Cache", "Database"],
        "Cache-aside: app fills cache on a miss",
    ),
    "database-indexes-explained": (
        "B-tree index",
        ["Root", "Branch", "Leaf", "Row"],
        "log(n) page reads instead of a full scan",
    ),
    "sql-vs-nosql": (
        "SQL vs NoSQL",
        ["Tables + joins", "Documents", "Key-value", "Wide column"],
        "Pick by access pattern, not by fashion",
    ),
    "database-replication": (
        "Replication",
        ["Primary", "WAL stream", "Replica 1", "Replica 2"],
        "Reads scale out; writes go to the primary",
    ),
    "password-hashing": (
        "Password hashing",
        ["Password", "+ salt", "Argon2 / bcrypt", "Stored hash"],
        "Slow on purpose; unique salt per user",
    ),
    "oauth2-authorization-code-flow": (
        "OAuth 2.0 code flow",
        ["User", "Client", "Auth server", "Code", "Token"],
        "PKCE protects the code exchange",
    ),
    "tls-handshake": (
        "TLS 1.3 handshake",
        ["ClientHello", "ServerHello", "Certificate", "Finished"],
        "One round trip, then encrypted application data",
    ),
    "cdn-basics": (
        "Content delivery network",
        ["User", "Edge (near)", "Shield", "Origin"],
        "Hits are served at the edge; misses go to the origin once",
    ),
    "rate-limiting-algorithms": (
        "Rate limiting",
        ["Token bucket", "Leaky bucket", "Fixed window", "Sliding log"],
        "Refuse with 429 and Retry-After",
    ),
}
ICONS = {
    "networking": "#2563eb",
    "databases": "#16a34a",
    "caching": "#d97706",
    "security": "#dc2626",
}


def font(size):
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def diagram(title, labels, footer):
    image = Image.new("RGB", (WIDTH, HEIGHT), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, 90], fill="#1e293b")
    draw.text((40, 45), title, font=font(44), fill="#ffffff", anchor="lm")
    n = len(labels)
    gap = 40
    box_w = (WIDTH - 80 - gap * (n - 1)) // n
    top, bottom = 250, 420
    for i, label in enumerate(labels):
        left = 40 + i * (box_w + gap)
        draw.rounded_rectangle(
            [left, top, left + box_w, bottom],
            radius=18,
            fill=PALETTE[i % len(PALETTE)],
            outline="#334155",
            width=3,
        )
        draw.multiline_text(
            (left + box_w / 2, (top + bottom) / 2),
            label.replace(" ", "\n", 1),
            font=font(26),
            fill="#0f172a",
            anchor="mm",
            align="center",
        )
        if i < n - 1:
            x0, x1, y = left + box_w + 4, left + box_w + gap - 4, (top + bottom) / 2
            draw.line([x0, y, x1, y], fill="#334155", width=4)
            draw.polygon([(x1, y), (x1 - 12, y - 9), (x1 - 12, y + 9)], fill="#334155")
    draw.text((WIDTH / 2, 560), footer, font=font(30), fill="#334155", anchor="mm")
    return image


def icon(color):
    image = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    ImageDraw.Draw(image).rounded_rectangle([4, 4, 92, 92], radius=22, fill=color)
    return image


def main():
    (OUT / "images").mkdir(parents=True, exist_ok=True)
    (OUT / "icons").mkdir(parents=True, exist_ok=True)
    for slug, spec in DIAGRAMS.items():
        diagram(*spec).save(OUT / "images" / f"{slug}.png", optimize=True)
    for name, color in ICONS.items():
        icon(color).save(OUT / "icons" / f"{name}.png", optimize=True)


if __name__ == "__main__":
    main()
