"""The join attempt as a picture: an inline SVG lane chart (no JavaScript, no external assets)."""

from __future__ import annotations

from datetime import datetime
from html import escape

LANES = (("bootstrap_start", "bootstrap"), ("bootstrap_done", "bootstrap"), ("kubelet_start", "kubelet"),
         ("register_attempt", "register"), ("registered", "register"), ("error", "errors"))
LANE_NAMES = ("bootstrap", "kubelet", "register", "errors")
COLORS = {"bootstrap": "#3b6ea5", "kubelet": "#5a8f29", "register": "#8a5cc7", "errors": "#c0392b"}


def _parse(ts: str) -> datetime | None:
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def timeline_svg(events: list[dict], width: int = 900) -> str:
    dated = [(e, _parse(e.get("ts"))) for e in events]
    dated = [(e, t) for e, t in dated if t is not None]
    if not dated:
        return '<p class="muted">No dated events: the timeline cannot be drawn.</p>'
    start = min(t for _, t in dated)
    end = max(t for _, t in dated)
    span = max((end - start).total_seconds(), 1.0)
    left, right, lane_h = 110, 20, 46
    height = lane_h * len(LANE_NAMES) + 40
    lane_of = dict(LANES)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="join attempt timeline" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, lane in enumerate(LANE_NAMES):
        y = 20 + i * lane_h + lane_h / 2
        parts.append(f'<text x="8" y="{y + 4:.0f}" class="lane">{lane}</text>')
        parts.append(f'<line x1="{left}" y1="{y:.0f}" x2="{width - right}" y2="{y:.0f}" stroke="#ddd"/>')
    for e, t in dated:
        lane = lane_of.get(e.get("event"), "errors")
        i = LANE_NAMES.index(lane)
        x = left + (width - left - right) * (t - start).total_seconds() / span
        y = 20 + i * lane_h + lane_h / 2
        title = escape(f"{e.get('ts')} {e.get('label')} ({e.get('path')}:{e.get('line')})")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.0f}" r="6" fill="{COLORS[lane]}"><title>{title}</title></circle>')
    parts.append(f'<text x="{left}" y="{height - 6}" class="axis">{escape(start.strftime("%Y-%m-%d %H:%M:%S"))} UTC</text>')
    parts.append(f'<text x="{width - right}" y="{height - 6}" class="axis" text-anchor="end">'
                 f'{escape(end.strftime("%H:%M:%S"))} (+{span:.0f} s)</text>')
    parts.append("</svg>")
    return "".join(parts)
