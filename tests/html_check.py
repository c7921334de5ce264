#!/usr/bin/python3
"""Check one `logwhy triage -o html` page in a real browser.

usage: html_check.py PAGE.html REPORT.json OUTDIR [hostile]

Headless Chromium (Debian's chromium; CHROMIUM overrides the path) loads
the page twice, as tests/wsd_browser.py launches it (its own profile, its
own session, killed by pid on a timeout): --dump-dom gives the DOM it
built, --screenshot a 1280 px wide PNG. The JSON report of the same input
says what the page must show: the verdict, every cause (a section and a
timeline lane each), the lane of unexplained symptoms, the where-tables.
The page must be self-contained (no script, no external reference) and
Chromium must log no console message or failed load. With "hostile", the
hostile log lines must be in the page as text, never as elements. The PNG
is decoded here (zlib and the PNG filters, no imaging library) and must
not be blank: many distinct colours, and the timeline's cause and symptom
colours drawn. Prints one "ok ..." or "FAIL ..." line per check.
"""
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import zlib
from html.parser import HTMLParser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
# the hostile line's markup (tests/html.test.sh); a script that does not
# block, so the page left unescaped still loads and fails on its DOM
HOSTILE = ["<script>console.log(1)</script>", "\"><img src=x onerror=console.log(1)>"]
CAUSE_RGB = (0xc6, 0x28, 0x28)     # .c in report_html.c's CSS
SYMPTOM_RGB = (0x15, 0x65, 0xc0)   # .s

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond or not detail else ": " + detail))


def chromium(args, outdir, tag, timeout=90):
    """Run Chromium once; return (stdout bytes, stderr text)."""
    profile = tempfile.mkdtemp(prefix="chromium.", dir=outdir)
    err_path = os.path.join(outdir, tag + ".stderr")
    with open(err_path, "wb") as err:
        p = subprocess.Popen([CHROMIUM] + FLAGS + ["--user-data-dir=" + profile] + args,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                             start_new_session=True)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            out = b""
    with open(err_path, "r", errors="replace") as f:
        return out, f.read()


class Dom(HTMLParser):
    """What the checks need from the DOM: elements by tag, attributes, text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs dict)
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes), unfiltered. 8-bit RGB/RGBA only."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype = hdr[0], hdr[1], hdr[2], hdr[3]
    if depth != 8 or ctype not in (2, 6):
        raise ValueError("PNG colour type %d depth %d" % (ctype, depth))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray(map(lambda a, b: (a + b) & 255, line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    page, report, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
    hostile = len(sys.argv) > 4 and sys.argv[4] == "hostile"
    name = os.path.basename(page)
    rep = json.load(open(report))
    src = open(page, encoding="utf-8").read()
    url = "file://" + os.path.abspath(page)

    dom_text, err = chromium(["--dump-dom", url], outdir, name + ".dom")
    dom_text = dom_text.decode("utf-8", "replace")
    check(name + ": Chromium built a DOM", "</html>" in dom_text and "<body" in dom_text,
          "%d bytes" % len(dom_text))
    console = [l for l in err.splitlines() if "CONSOLE" in l or "net::ERR" in l
               or "Failed to load" in l or "Refused to" in l]
    check(name + ": Chromium logged no console message or failed load", not console,
          "; ".join(console[:3]))
    dom = Dom()
    dom.feed(dom_text)
    tags = dom.tags
    text = "".join(dom.text)

    # self-contained: no script, nothing fetched
    check(name + ": no script element", not [t for t, a in tags if t == "script"])
    external = [(t, a) for t, a in tags for k, v in a.items()
                if k in ("src", "href") and v and not v.startswith("#")]
    external += [(t, a) for t, a in tags if t in ("link", "iframe", "img", "object", "embed")]
    check(name + ": nothing external (src, href, link, img)", not external, repr(external[:2]))
    handlers = [(t, k) for t, a in tags for k in a if k.startswith("on")]
    check(name + ": no event handler attributes", not handlers, repr(handlers[:2]))
    check(name + ": the source has no http(s) reference but the SVG namespace",
          src.replace("http://www.w3.org/2000/svg", "").count("http") == 0)

    # the verdict on top
    verdict = [a for t, a in tags if a.get("id") == "verdict"]
    check(name + ": a verdict section", verdict)
    if rep["verdict"]:
        v = rep["verdict"]["rule"]
        head = dom_text[:dom_text.find('id="timeline"')] if 'id="timeline"' in dom_text else dom_text
        check(name + ": the verdict %s is named before the timeline" % v,
              'id="verdict"' in head and v in head[head.find('id="verdict"'):])

    # every cause: a section, a lane; the unexplained lane; where-tables
    sections = [a.get("data-rule") for t, a in tags if t == "section" and
                "cause" in a.get("class", "").split()]
    lanes = [a.get("data-rule") for t, a in tags if t == "g" and a.get("class") == "lane"]
    want = [c["rule"] for c in rep["causes"]]
    check(name + ": a section for each of the %d causes, in rank order" % len(want),
          sections == want, "%r" % sections)
    check(name + ": a timeline lane for each cause, in rank order",
          [l for l in lanes if l != "(unexplained)"] == want, "%r" % lanes)
    if rep["symptoms"]:
        check(name + ": a lane of the unexplained symptoms", "(unexplained)" in lanes)
        for s in rep["symptoms"]:
            check(name + ": symptom %s in its lane and table" % s["rule"], text.count(s["rule"]) >= 2)
    bars = sum(1 for t, a in tags if t == "rect" and a.get("class") == "c")
    want_bars = sum(1 for c in rep["causes"] for n in c["buckets"] if n)
    check(name + ": one cause bar per non-empty bucket (%d)" % want_bars, bars == want_bars,
          "%d bars" % bars)
    wheres = sum(1 for t, a in tags if t == "table" and a.get("class") == "where")
    want_where = sum(1 for g in rep["causes"] + rep["symptoms"]
                     if any(g["where"][k] for k in ("revision", "service", "instance")))
    check(name + ": a where-table for each cause and symptom with where-counts (%d)" % want_where,
          wheres == want_where, "%d tables" % wheres)
    for g in rep["causes"] + rep["symptoms"]:
        for k in ("revision", "service", "instance"):
            for v in g["where"][k]:
                if v["value"] not in text:
                    check(name + ": where value %r of %s shown" % (v["value"], g["rule"]), False)
                    break
    gone = [c for c in rep["causes"] if c["where"]["not_seen_after_revision"]]
    for c in gone:
        check(name + ": %s not seen after revision %s" % (c["rule"], c["where"]["not_seen_after_revision"]),
              "not seen after revision %s started" % c["where"]["not_seen_after_revision"] in text)
    if len(rep["revisions"]) > 1:
        marks = sum(1 for t, a in tags if t == "g" and a.get("class") == "revision")
        check(name + ": a start line for each of the %d revisions" % len(rep["revisions"]),
              marks == len(rep["revisions"]), "%d lines" % marks)
    if rep["buckets"]:
        check(name + ": the axis names the bucket width %s" % rep["buckets"]["width"],
              "%s a cell" % rep["buckets"]["width"] in text)

    if hostile:
        for h in HOSTILE:
            check(name + ": hostile %r is text in the page" % h, h in text)
        check(name + ": no img element from the hostile line", not [t for t, a in tags if t == "img"])
        check(name + ": the hostile script is escaped in the source", "<script>" not in src)

    # a screenshot at 1280 px, not blank, with the timeline drawn
    png = os.path.join(outdir, name + ".png")
    chromium(["--screenshot=" + png, "--window-size=1280,1100", url], outdir, name + ".shot")
    try:
        w, h, bpp, rows = png_pixels(png)
    except (OSError, ValueError) as e:
        check(name + ": screenshot is a PNG", False, str(e))
        return
    check(name + ": screenshot 1280 px wide", w == 1280, "%dx%d" % (w, h))
    colours = set()
    cause_px = symptom_px = 0
    for row in rows:
        for x in range(0, len(row), bpp):
            px = (row[x], row[x + 1], row[x + 2])
            colours.add(px)
            cause_px += px == CAUSE_RGB
            symptom_px += px == SYMPTOM_RGB
    check(name + ": screenshot not blank (%d colours)" % len(colours), len(colours) > 50)
    if want_bars:
        check(name + ": the timeline's cause bars are drawn (%d px)" % cause_px, cause_px > 200)
    if any(any(c["explained_buckets"]) for c in rep["causes"]):
        check(name + ": the explained symptoms are drawn (%d px)" % symptom_px, symptom_px > 200)


if __name__ == "__main__":
    main()
    print("%d passed, %d failed" % (sum(results), len(results) - sum(results)))
    sys.exit(0 if all(results) else 1)
