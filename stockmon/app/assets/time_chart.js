// A stockmon time chart: lines or bars over time, drawn by uPlot (bundled before this code).
// Times arrive as the person's wall-clock seconds written as UTC, and are shown as they are.

const GRID = "#e2e8f0";
const TEXT = "#64748b";
const REFERENCE = "#94a3b8";
const FONT = "12px 'Source Sans Pro', sans-serif";

// tick step, label, then the label's second line when the year, month, day, hour, minute or
// second changes; 24-hour clock times, as the rest of stockmon writes them
const TIME_TICKS = [
  [3600 * 24 * 365, "{YYYY}", null, null, null, null, null, null, 1],
  [3600 * 24 * 28, "{MMM}", "\n{YYYY}", null, null, null, null, null, 1],
  [3600 * 24, "{D} {MMM}", "\n{YYYY}", null, null, null, null, null, 1],
  [3600, "{HH}:{mm}", "\n{D} {MMM}", null, "\n{D} {MMM}", null, null, null, 1],
  [60, "{HH}:{mm}", "\n{D} {MMM}", null, "\n{D} {MMM}", null, null, null, 1],
  [1, "{HH}:{mm}:{ss}", "\n{D} {MMM}", null, "\n{D} {MMM}", null, null, null, 1],
];

function valueRange(chart) {
  return (u, low, high) => {
    if (chart.kind === "bars") return [0, uPlot.rangeNum(0, high || 1, 0.1, true)[1]];
    const level = chart.reference ? chart.reference.value : null;
    const lowest = level === null ? low : Math.min(low, level);
    const highest = level === null ? high : Math.max(high, level);
    return uPlot.rangeNum(lowest, highest, 0.1, true);
  };
}

function drawReference(chart) {
  return (u) => {
    if (!chart.reference) return;
    const { ctx, bbox } = u;
    const y = Math.round(u.valToPos(chart.reference.value, "y", true));
    ctx.save();
    ctx.strokeStyle = REFERENCE;
    ctx.lineWidth = devicePixelRatio;
    ctx.setLineDash(chart.reference.dashed ? [2 * devicePixelRatio, 3 * devicePixelRatio] : []);
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
    if (chart.reference.label) {
      ctx.fillStyle = TEXT;
      ctx.font = `${12 * devicePixelRatio}px sans-serif`;
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillText(chart.reference.label, bbox.left + 4 * devicePixelRatio, y - 2 * devicePixelRatio);
    }
    ctx.restore();
  };
}

// Away from the pointer, the legend gives the latest values rather than blanks.
function showLatestUnlessPointed(u) {
  if (u.cursor.idx == null && u.data[0].length) u.setLegend({ idx: u.data[0].length - 1 });
}

function options(chart, width) {
  const number = new Intl.NumberFormat("en-US", chart.number_format);
  const written = (value) => (value == null ? "–" : number.format(value) + chart.suffix);
  const bars = chart.kind === "bars" ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
  return {
    width,
    height: chart.height,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1e3), "Etc/UTC"),
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    legend: { live: true },
    scales: { x: { time: true }, y: { range: valueRange(chart) } },
    axes: [
      { stroke: TEXT, font: FONT, grid: { stroke: GRID }, ticks: { stroke: GRID }, values: TIME_TICKS },
      {
        stroke: TEXT,
        font: FONT,
        grid: { stroke: GRID },
        ticks: { show: false },
        values: (u, ticks) => ticks.map(written),
        size: (u, values) => (values ? Math.max(...values.map((v) => v.length)) * 7 + 16 : 50),
      },
    ],
    series: [
      { label: chart.time_label, value: chart.time_format },
      ...chart.series.map((line) => ({
        label: line.label,
        stroke: line.color,
        fill: bars ? line.color : undefined,
        width: bars ? 0 : 2,
        paths: bars,
        points: { show: false },
        spanGaps: true,
        value: (u, value) => written(value),
      })),
    ],
    hooks: { draw: [drawReference(chart)], setCursor: [showLatestUnlessPointed] },
  };
}

export default function ({ parentElement, data }) {
  const root = parentElement.querySelector(".stockmon-chart");
  root.replaceChildren();
  const columns = [data.times, ...data.series.map((line) => line.values)];
  const plot = new uPlot(options(data, root.clientWidth || 600), columns, root);
  showLatestUnlessPointed(plot);
  const resized = new ResizeObserver(() => {
    if (root.clientWidth) plot.setSize({ width: root.clientWidth, height: data.height });
  });
  resized.observe(root);
  return () => {
    resized.disconnect();
    plot.destroy();
  };
}
