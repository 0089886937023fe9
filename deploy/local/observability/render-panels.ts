/** One line of a panel: its legend and its points (seconds since the epoch, value). */
export interface PanelSeries {
  legend: string;
  points: readonly (readonly [number, number])[];
}

/** A time-series panel as the dashboard defines it, with the data its queries returned. */
export interface RenderedPanel {
  title: string;
  unit: string;
  series: readonly PanelSeries[];
}

const panelWidth = 780;
const panelHeight = 260;
const gap = 20;
const plot = { left: 70, right: 16, top: 36, bottom: 58 };
const colors = ['#73bf69', '#f2cc0c', '#5794f2', '#ff9830', '#f2495c', '#b877d9', '#8ab8ff', '#ffcb7d'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A value with the dashboard unit's suffix, as Grafana abbreviates it. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'percentunit') return `${(value * 100).toFixed(0)}%`;
  if (unit === 's') return value < 1 ? `${(value * 1000).toFixed(0)} ms` : `${value.toFixed(1)} s`;
  const base = unit === 'bytes' ? 1024 : 1000;
  const prefixes = unit === 'bytes' ? ['B', 'KiB', 'MiB', 'GiB'] : ['', 'k', 'M', 'G'];
  let scaled = value;
  let index = 0;
  while (Math.abs(scaled) >= base && index < prefixes.length - 1) {
    scaled /= base;
    index += 1;
  }
  const suffix = unit === 'ops' ? `${prefixes[index] ?? ''} ops/s` : ` ${prefixes[index] ?? ''}`;
  return `${Number.isInteger(scaled) ? scaled : scaled.toFixed(scaled < 10 ? 2 : 1)}${suffix}`.trim();
}

function clock(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(11, 19);
}

function panelSvg(panel: RenderedPanel, x: number, y: number, from: number, to: number): string {
  const width = panelWidth - plot.left - plot.right;
  const height = panelHeight - plot.top - plot.bottom;
  const values = panel.series.flatMap((series) => series.points.map(([, value]) => value)).filter(Number.isFinite);
  const max = Math.max(...values, 0) * 1.1 || 1;
  const px = (time: number): number => plot.left + ((time - from) / Math.max(1, to - from)) * width;
  const py = (value: number): number => plot.top + height - (value / max) * height;
  const parts = [
    `<g transform="translate(${x},${y})">`,
    `<rect width="${panelWidth}" height="${panelHeight}" rx="4" fill="#181b1f" stroke="#2c3235"/>`,
    `<text x="12" y="22" fill="#d8d9da" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`,
  ];
  for (let tick = 0; tick <= 4; tick += 1) {
    const value = (max / 4) * tick;
    parts.push(`<line x1="${plot.left}" x2="${plot.left + width}" y1="${py(value)}" y2="${py(value)}" stroke="#2c3235"/>`);
    parts.push(`<text x="${plot.left - 6}" y="${py(value) + 4}" fill="#8e8e8e" font-size="11" text-anchor="end">${escapeXml(formatValue(value, panel.unit))}</text>`);
  }
  for (let tick = 0; tick <= 4; tick += 1) {
    const time = from + ((to - from) / 4) * tick;
    parts.push(`<text x="${px(time)}" y="${plot.top + height + 16}" fill="#8e8e8e" font-size="11" text-anchor="middle">${clock(time)}</text>`);
  }
  panel.series.forEach((series, index) => {
    const color = colors[index % colors.length] ?? '#73bf69';
    const path = series.points.filter(([, value]) => Number.isFinite(value)).map(([time, value]) => `${px(time).toFixed(1)},${py(value).toFixed(1)}`).join(' ');
    if (path !== '') parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    const legendX = 12 + (index % 4) * 190;
    const legendY = panelHeight - 26 + Math.floor(index / 4) * 14;
    parts.push(`<rect x="${legendX}" y="${legendY - 8}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${legendX + 16}" y="${legendY - 3}" fill="#c7d0d9" font-size="11">${escapeXml(series.legend)}</text>`);
  });
  if (panel.series.length === 0) parts.push(`<text x="${panelWidth / 2}" y="${panelHeight / 2}" fill="#8e8e8e" font-size="13" text-anchor="middle">No data</text>`);
  parts.push('</g>');
  return parts.join('\n');
}

/** The panels in two columns, dark like Grafana's default theme, as one SVG document. */
export function renderPanelsSvg(title: string, panels: readonly RenderedPanel[], from: number, to: number): string {
  const rows = Math.ceil(panels.length / 2);
  const width = panelWidth * 2 + gap * 3;
  const height = 60 + rows * (panelHeight + gap);
  const body = panels.map((panel, index) => panelSvg(panel, gap + (index % 2) * (panelWidth + gap), 50 + Math.floor(index / 2) * (panelHeight + gap), from, to));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#111217"/>`,
    `<text x="${gap}" y="32" fill="#d8d9da" font-size="18">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}
