"""The report's HTML (one page, no external requests)."""

from __future__ import annotations

import html
import json

from herd.evaluation.evaluate import KEYS

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2d3a;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
main{padding:8px 24px 40px;max-width:1400px}section{margin:22px 0}h2{font-size:16px;border-bottom:1px solid #ddd}
.grid{display:flex;flex-wrap:wrap;gap:16px}.card{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:8px}
.card h3{margin:0 0 6px;font-size:13px;font-weight:600}video{max-width:100%;image-rendering:pixelated}
model-viewer{width:420px;height:360px;background:#eef1f4;border-radius:4px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}pre{background:#fff;border:1px solid #e3e3e3;padding:8px;overflow:auto}
svg.chart{background:#fff;border:1px solid #e3e3e3;border-radius:6px}svg .grid{stroke:#eee}
svg text{font:10px system-ui,sans-serif}svg .title{font-size:12px;font-weight:600}
svg .ylab{text-anchor:end}svg .xlab{text-anchor:middle}svg .legend{text-anchor:end}
"""

SCRIPT = """
// status for people and for the browser test: data-loaded counts models shown, data-errors lists failures
window.addEventListener('error', ev => { document.body.dataset.errors = (document.body.dataset.errors || '') + ev.message + ';'; });
function showModel(id, name){
  const v=document.getElementById(id); const uri=(window.HERD_MODELS||{})[name];
  if(v && uri){v.src=uri;}
}
document.addEventListener('DOMContentLoaded',()=>{
  document.body.dataset.loaded = 0;
  document.querySelectorAll('model-viewer').forEach(v=>{
    v.addEventListener('load',()=>{document.body.dataset.loaded = Number(document.body.dataset.loaded)+1;});
    v.addEventListener('error',ev=>{document.body.dataset.errors=(document.body.dataset.errors||'')+'model '+v.id+' failed;';});
  });
  document.querySelectorAll('model-viewer[data-model]').forEach(v=>showModel(v.id, v.dataset.model));
  const sel=document.getElementById('round');
  if(sel){const f=()=>{showModel('proxy', sel.value+'-proxy.glb'); showModel('bones', sel.value+'-bones.glb');};
          sel.addEventListener('change', f); f();}
});
"""


def _metrics_table(metrics: dict) -> str:
    cols: list[str] = []
    for vals in metrics.values():
        cols += [k for k in vals if k != "mean" and k not in cols]
    cols.append("mean")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    rows = []
    for key in KEYS:
        if key in metrics:
            cells = "".join(f"<td>{metrics[key][c]:.4f}</td>" if c in metrics[key] else "<td></td>" for c in cols)
            rows.append(f"<tr><td>{key}</td>{cells}</tr>")
    return f"<table><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>"


def render_page(
    title: str,
    summary: dict,
    charts: list[str],
    videos: list[dict],
    animated: list[str],
    rounds: list[str],
    metrics: dict | None,
    commands: list[str],
    opts: list[str],
) -> str:
    """The page as a string."""
    e = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>herd: {e(title)}</title>",
        f"<style>{CSS}</style>",
        "<script src='vendor/model-viewer-umd.min.js'></script><script src='models.js'></script>",
        f"<script>{SCRIPT}</script></head><body>",
        f"<header><h1>herd report: {e(title)}</h1><div>dataset {e(str(summary.get('seqname')))} · motion "
        f"{e(str(summary.get('fg_motion')))} · step {summary['step']} of {summary['total_steps']}</div></header><main>",
    ]
    if metrics:
        parts.append(f"<section><h2>Metrics</h2>{_metrics_table(metrics)}</section>")
    if animated:
        cards = "".join(
            f"<div class='card'><h3>{e(name)}</h3><model-viewer id='anim{i}' data-model='{e(name)}' camera-controls "
            f"autoplay shadow-intensity='0.6' exposure='1.1' alt='{e(name)}'></model-viewer></div>"
            for i, name in enumerate(animated)
        )
        parts.append(f"<section><h2>Animated models (exported glTF)</h2><div class='grid'>{cards}</div></section>")
    if videos:
        cards = "".join(
            f"<div class='card'><h3>{e(v['title'])}</h3><video src='{e(v['src'])}' controls loop autoplay muted "
            f"playsinline></video></div>"
            for v in videos
        )
        parts.append(f"<section><h2>Renderings</h2><div class='grid'>{cards}</div></section>")
    if rounds:
        opts_html = "".join(f"<option{' selected' if r == rounds[-1] else ''}>{e(r)}</option>" for r in rounds)
        parts.append(
            "<section><h2>Training rounds: proxy (with cameras) and bones</h2>"
            f"<p>round <select id='round'>{opts_html}</select></p><div class='grid'>"
            "<div class='card'><h3>proxy and cameras</h3><model-viewer id='proxy' camera-controls></model-viewer></div>"
            "<div class='card'><h3>bones</h3><model-viewer id='bones' camera-controls></model-viewer></div>"
            "</div></section>"
        )
    if charts:
        parts.append(f"<section><h2>Training curves</h2><div class='grid'>{''.join(charts)}</div></section>")
    bl = summary.get("bone_lengths")
    if bl and len(bl["individuals"]) > 1:
        head = "".join(f"<th>{e(b)}</th>" for b in bl["bones"])
        rows = "".join(
            f"<tr><td>{e(n)}</td>" + "".join(f"<td>{x:.3f}</td>" for x in row) + "</tr>"
            for n, row in zip(bl["individuals"], bl["relative"])
        )
        parts.append(
            f"<section><h2>Bone lengths relative to the category mean</h2><div style='overflow:auto'>"
            f"<table><tr><th></th>{head}</tr>{rows}</table></div></section>"
        )
    if commands:
        parts.append(f"<section><h2>Commands</h2><pre>{e(chr(10).join(commands))}</pre></section>")
    parts.append(f"<section><h2>Options (opts.log)</h2><pre>{e(chr(10).join(opts))}</pre></section>")
    parts.append(
        f"<footer><small>3D viewer: &lt;model-viewer&gt; and three.js, see vendor/ for versions and licences. "
        f"Models: {e(json.dumps(len(animated)))} animated, {len(rounds)} rounds.</small></footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts)
