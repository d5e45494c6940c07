// A dependency-free horizontal bar chart in SVG for the benchmark reports.

export interface Bar {
  group: string;
  label: string;
  value: number;
}

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Bars grouped by `group`, one colour per `label` (system), scaled to the largest value. */
export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const groups = [...new Set(bars.map((b) => b.group))];
  const labels = [...new Set(bars.map((b) => b.label))];
  const max = Math.max(...bars.map((b) => b.value), 1e-12);
  const barH = 14, gap = 10, left = 230, width = 460, legendH = 18 * Math.ceil(labels.length / 3);
  const groupH = labels.length * barH + gap;
  const height = 40 + legendH + groups.length * groupH + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 120}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  labels.forEach((l, i) => {
    const x = 10 + (i % 3) * 240, y = 30 + 18 * Math.floor(i / 3);
    out.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`, `<text x="${x + 16}" y="${y + 10}">${esc(l)}</text>`);
  });
  groups.forEach((g, gi) => {
    const y0 = 40 + legendH + gi * groupH;
    out.push(`<text x="${left - 6}" y="${y0 + (labels.length * barH) / 2 + 4}" text-anchor="end">${esc(g)}</text>`);
    labels.forEach((l, li) => {
      const b = bars.find((x) => x.group === g && x.label === l);
      if (!b) return;
      const w = Math.max(1, (b.value / max) * width);
      const y = y0 + li * barH;
      out.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${PALETTE[li % PALETTE.length]}"/>`,
        `<text x="${left + w + 4}" y="${y + barH - 4}">${b.value.toPrecision(3)} ${esc(unit)}</text>`,
      );
    });
  });
  out.push("</svg>");
  return out.join("\n");
}
