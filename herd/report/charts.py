"""Line charts as inline SVG (no plotting library needed for a few curves)."""

from __future__ import annotations

import html
import math


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def line_chart(
    title: str,
    series: dict[str, list[tuple[float, float]]],
    xlabel: str = "step",
    log_y: bool = False,
    width: int = 420,
    height: int = 240,
) -> str:
    """An SVG chart of ``{name: [(x, y), ...]}``; ``log_y`` plots log10 of positive values."""
    colors = ["#d9480f", "#1971c2", "#2f9e44", "#9c36b5", "#e67700", "#0c8599"]
    pts = {
        k: [(x, math.log10(y) if log_y else y) for x, y in v if (y > 0 or not log_y) and math.isfinite(y)]
        for k, v in series.items()
    }
    allp = [p for v in pts.values() for p in v]
    if not allp:
        return f"<p>{html.escape(title)}: no data</p>"
    x0, x1 = min(p[0] for p in allp), max(p[0] for p in allp)
    y0, y1 = min(p[1] for p in allp), max(p[1] for p in allp)
    if y1 - y0 < 1e-12:
        y0, y1 = y0 - 0.5, y1 + 0.5
    if x1 - x0 < 1e-12:
        x1 = x0 + 1
    L, R, T, B = 52, 10, 24, 34
    sx = lambda x: L + (x - x0) / (x1 - x0) * (width - L - R)  # noqa: E731
    sy = lambda y: height - B - (y - y0) / (y1 - y0) * (height - T - B)  # noqa: E731
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">',
        f'<text x="{L}" y="15" class="title">{html.escape(title)}</text>',
    ]
    for t in _ticks(y0, y1):
        label = f"{10**t:.2g}" if log_y else f"{t:.3g}"
        out.append(
            f'<line x1="{L}" x2="{width - R}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" class="grid"/>'
            f'<text x="{L - 4}" y="{sy(t) + 4:.1f}" class="ylab">{label}</text>'
        )
    for t in _ticks(x0, x1):
        out.append(f'<text x="{sx(t):.1f}" y="{height - B + 14}" class="xlab">{t:g}</text>')
    out.append(f'<text x="{(L + width - R) / 2}" y="{height - 4}" class="xlab">{html.escape(xlabel)}</text>')
    for i, (name, v) in enumerate(pts.items()):
        if not v:
            continue
        c = colors[i % len(colors)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in v)
        out.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="1.6"/>')
        out.append(
            f'<text x="{width - R - 4}" y="{T + 12 * (i + 1)}" class="legend" fill="{c}">{html.escape(name)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
