"""benchmarks.svg: a grouped bar chart of each case's ratio to native on a log scale, one bar per
configuration, with a legend; written as plain SVG text from the JSON document."""

import math
from xml.sax.saxutils import escape

from bench_report import format_ratio

COLORS = ["#8c8c8c", "#1f77b4", "#9ecae1", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
BAR_W, GAP, LEFT, RIGHT, TOP, PLOT_H, BOTTOM = 11, 16, 64, 16, 84, 300, 104


def _nice_steps(lo, hi):
    """Tick values 1-2-5 per decade between lo and hi (only powers of ten if that is too many)."""
    ticks = []
    for exp in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** exp
            if lo * 0.999 <= v <= hi * 1.001:
                ticks.append(v)
    if len(ticks) > 12:
        ticks = [t for t in ticks if abs(math.log10(t) - round(math.log10(t))) < 1e-9]
    return ticks


def _snap125(v, up):
    """The nearest value of the 1-2-5 series at or below v (at or above with up=True)."""
    exp = math.floor(math.log10(v))
    series = [m * 10.0 ** e for e in (exp - 1, exp, exp + 1) for m in (1, 2, 5)]
    return min(s for s in series if s >= v * 0.999) if up else max(s for s in series
                                                                   if s <= v * 1.001)


def _range(ratios):
    """The y axis: from at most 0.5x to at least 2x, widened to the 1-2-5 values around the data."""
    return (_snap125(min([0.5] + [r * 0.9 for r in ratios]), False),
            _snap125(max([2.0] + [r * 1.1 for r in ratios]), True))


def _tick_label(v):
    return ("%g" % v) + "×"


def _kind_labels(cases, group_w):
    """A divider between the micro and the macro cases, each side labelled with what it measures."""
    out = []
    kinds = [c["kind"] for c in cases]
    for kind, label in (("micro", "micro: time per operation, start-up excluded"),
                        ("macro", "macro: wall time of the whole command")):
        if kind not in kinds:
            continue
        first = kinds.index(kind)
        x = LEFT + first * group_w
        if first > 0:
            out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#999"/>'
                       % (x, x, TOP - 8, TOP + PLOT_H))
        out.append('<text x="%d" y="%d" fill="#555" font-style="italic">%s</text>'
                   % (x + 4, TOP - 2, label))
    return out


def render_svg(doc):
    configs = [c["name"] for c in doc["configs"]]
    cases = doc["cases"]
    ratios = [res["ratio_to_native"] for row in doc["results"].values() for res in row.values()
              if res.get("ratio_to_native")]
    lo, hi = _range(ratios)
    group_w = len(configs) * BAR_W + GAP
    legend_w = sum(40 + 7 * len(c) for c in configs)
    width = max(LEFT + len(cases) * group_w + RIGHT, legend_w + LEFT)
    height = TOP + PLOT_H + BOTTOM

    def y_of(r):
        return TOP + PLOT_H * (1 - (math.log10(r) - math.log10(lo)) /
                               (math.log10(hi) - math.log10(lo)))

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="sans-serif" font-size="11">' % (width, height, width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14" font-weight="bold">moat-bench: time relative to '
           'native (log scale, lower is better)</text>' % LEFT,
           '<text x="%d" y="36" fill="#555">%s · %s · %s mode, median of %d</text>'
           % (LEFT, escape(doc["machine"]["cpu"]), escape(doc["date"]), doc["mode"], doc["reps"])]
    x = LEFT
    for i, name in enumerate(configs):  # legend
        out.append('<rect x="%d" y="48" width="10" height="10" fill="%s"/>'
                   % (x, COLORS[i % len(COLORS)]))
        out.append('<text x="%d" y="57">%s</text>' % (x + 14, escape(name)))
        x += 40 + 7 * len(name)
    for t in _nice_steps(lo, hi):  # grid and axis labels
        y = y_of(t)
        dash = '' if t == 1 else ' stroke-dasharray="3,3"'
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"%s/>'
                   % (LEFT, width - RIGHT, y, y, "#333" if t == 1 else "#ccc", dash))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>'
                   % (LEFT - 4, y + 4, _tick_label(t)))
    base = TOP + PLOT_H
    for ci, case in enumerate(cases):
        gx = LEFT + ci * group_w + GAP / 2
        row = doc["results"][case["name"]]
        for k, name in enumerate(configs):
            res = row.get(name)
            bx = gx + k * BAR_W
            if res is None:
                continue
            if res["error"] is not None:
                tip = "%s / %s fails: %s" % (case["name"], name, res["error"])
                out.append('<text x="%.1f" y="%d" fill="#d62728" text-anchor="middle" '
                           'font-weight="bold">×<title>%s</title></text>'
                           % (bx + BAR_W / 2, base - 3, escape(tip)))
            elif res["ratio_to_native"]:
                y = y_of(res["ratio_to_native"])
                tip = "%s / %s: %s" % (case["name"], name, format_ratio(res["ratio_to_native"]))
                out.append('<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s">'
                           '<title>%s</title></rect>'
                           % (bx, y, BAR_W - 1, base - y, COLORS[k % len(COLORS)], escape(tip)))
        cx = gx + len(configs) * BAR_W / 2
        out.append('<text x="%.1f" y="%d" text-anchor="end" transform="rotate(-40 %.1f %d)">'
                   '%s</text>' % (cx, base + 14, cx, base + 14, escape(case["name"])))
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333"/>'
               % (LEFT, LEFT, TOP, base))
    out += _kind_labels(cases, group_w)
    out.append('<text x="%d" y="%d" fill="#555">× = fails in that configuration (see '
               'benchmarks.md); no bar = not run</text>' % (LEFT, height - 8))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svg(doc, path):
    with open(path, "w") as f:
        f.write(render_svg(doc))

