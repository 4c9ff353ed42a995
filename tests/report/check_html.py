#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks on the HTML report as Chromium rendered it (tests/integration/test_report_html.sh).

  check_html.py dom DOM.html SAMPLES.csv DURATION_S
      The DOM that `chromium --dump-dom` printed: every chart is present and draws
      exactly the points the samples call for. Expectations come from the samples
      CSV (the --samples writer's output), in 1 s buckets over the run:
        latency (p50, p90, p99): one point per bucket with a latency sample;
        error_rate: one per bucket with samples; throughput: one per bucket;
        value: one per bucket with a successful sample with a finite value.
      A point is an x,y pair of a <polyline> or a <circle class="pt">; each series'
      data-points attribute must agree with what is drawn.
  check_html.py png SCREENSHOT.png
      The screenshot is a real rendering: a PNG of the expected size whose pixels
      include the shading of fault windows and many distinct colours.

Exits non-zero with a message on the first failed check. Standard library only.
"""
import collections
import csv
import math
import struct
import sys
import zlib
from html.parser import HTMLParser


class Charts(HTMLParser):
    """Collects the charts: per <svg class="chart">, its series and their points."""

    def __init__(self):
        super().__init__()
        self.charts = []  # [probe, kind, {series: [declared, drawn]}]
        self.probe = None
        self.in_h3 = False
        self.h3 = ""
        self.series = None
        self.elements = collections.Counter()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements[tag] += 1
        if tag == "h3":
            self.in_h3, self.h3 = True, ""
        elif tag == "svg" and "chart" in a.get("class", "").split():
            self.charts.append([self.probe, a.get("data-chart"), {}])
        elif tag == "g" and a.get("class") == "series":
            self.series = [int(a["data-points"]), 0]
            self.charts[-1][2][a["data-series"]] = self.series
        elif tag == "polyline" and self.series is not None:
            self.series[1] += len(a["points"].split())
        elif tag == "circle" and a.get("class") == "pt" and self.series is not None:
            self.series[1] += 1

    def handle_endtag(self, tag):
        if tag == "h3":
            self.in_h3 = False
            # "NAME (KIND)": the probe the next charts belong to.
            self.probe = self.h3.rsplit(" (", 1)[0]
        elif tag == "g":
            self.series = None

    def handle_data(self, data):
        if self.in_h3:
            self.h3 += data


def fail(msg):
    print("check_html: " + msg, file=sys.stderr)
    sys.exit(1)


# Error classes whose latency says nothing about the service (docs/report.md).
NO_LATENCY = {"refused", "dns", "tls", "no_value", "query_error"}


def expected_points(samples_csv, duration_s):
    """{probe: {chart kind: points}} from the samples, in 1 s buckets."""
    n_buckets = math.ceil(duration_s)
    by_probe = collections.defaultdict(lambda: {"any": set(), "latency": set(), "value": set()})
    with open(samples_csv, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            b = int(float(row["t_ms"]) // 1000)
            p = by_probe[row["probe"]]
            p["any"].add(b)
            if row["error"] not in NO_LATENCY:
                p["latency"].add(b)
            v = row["value"]
            if row["error"] == "ok" and v and v not in ("+Inf", "-Inf") and math.isfinite(float(v)):
                p["value"].add(b)
    out = {}
    for probe, p in by_probe.items():
        out[probe] = {
            "latency": len(p["latency"]),
            "error_rate": len(p["any"]),
            "throughput": n_buckets,
            "value": len(p["value"]),
        }
    return out


def check_dom(dom_file, samples_csv, duration_s):
    parser = Charts()
    with open(dom_file, encoding="utf-8") as f:
        parser.feed(f.read())
    if parser.elements["script"]:
        fail("the rendered DOM holds a <script> element")
    for tag in ("img", "link", "iframe", "object", "embed"):
        if parser.elements[tag]:
            fail("the rendered DOM holds a <%s> element (an external asset?)" % tag)
    expect = expected_points(samples_csv, float(duration_s))
    if not parser.charts:
        fail("no chart in the DOM")
    seen = collections.defaultdict(set)
    total = 0
    for probe, kind, series in parser.charts:
        if probe not in expect:
            fail("chart %s for probe %r, which has no samples" % (kind, probe))
        seen[probe].add(kind)
        want = expect[probe][kind]
        if not series:
            fail("chart %s of %r has no series" % (kind, probe))
        for name, (declared, drawn) in series.items():
            if declared != drawn:
                fail("%r %s %s: data-points %d, drawn %d" % (probe, kind, name, declared, drawn))
            if drawn != want:
                fail("%r %s %s: %d points, the samples call for %d" % (probe, kind, name, drawn, want))
            total += drawn
    for probe in expect:
        if not {"error_rate"} <= seen[probe]:
            fail("probe %r has no error-rate chart" % probe)
        if not ({"latency", "throughput"} <= seen[probe] or "value" in seen[probe]):
            fail("probe %r has neither latency nor value charts" % probe)
    print("charts=%d points=%d" % (len(parser.charts), total))


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s is not a PNG" % path)
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if ctype == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            if depth != 8 or color not in (2, 6):
                fail("unexpected PNG format: depth %d colour type %d" % (depth, color))
            bpp = 3 if color == 2 else 4
        elif ctype == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            ul = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + left) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + up) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif ftype == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else ul
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def check_png(path):
    width, height, bpp, rows = png_pixels(path)
    colours = collections.Counter()
    shade = 0
    for line in rows[::2]:
        for x in range(0, width * bpp, bpp * 2):
            rgb = (line[x], line[x + 1], line[x + 2])
            colours[rgb] += 1
            # The fault-window fill (#f4a261 at 25 % over white) is about (252, 232, 216).
            if abs(rgb[0] - 252) <= 3 and abs(rgb[1] - 232) <= 3 and abs(rgb[2] - 216) <= 3:
                shade += 1
    if len(colours) < 20:
        fail("the screenshot has only %d colours: nothing rendered?" % len(colours))
    if shade < 1000:
        fail("the screenshot shows %d sampled pixels of fault shading, want >= 1000" % shade)
    print("png=%dx%d colours=%d shade_pixels=%d" % (width, height, len(colours), shade))


def main(argv):
    if len(argv) == 5 and argv[1] == "dom":
        check_dom(argv[2], argv[3], argv[4])
    elif len(argv) == 3 and argv[1] == "png":
        check_png(argv[2])
    else:
        fail("usage: check_html.py dom DOM CSV DURATION_S | png FILE")


if __name__ == "__main__":
    main(sys.argv)
