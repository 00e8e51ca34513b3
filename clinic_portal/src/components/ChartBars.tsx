// A small accessible bar chart: one row per bar, its label and value in text, the bar an SVG
// image named by its <title>; the figure's caption says what is measured. The screens show
// the same numbers as a table beside it, for reading them exactly.

import { useId } from "react";
import { barFractions, type Bar } from "../lib/reports";

export function ChartBars({ caption, bars }: { caption: string; bars: readonly Bar[] }) {
  const id = useId();
  const fractions = barFractions(bars);
  return (
    <figure className="fin-chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`} className="fin-chart-caption">
        {caption}
      </figcaption>
      <ul className="fin-chart-rows">
        {bars.map((bar, n) => (
          <li key={`${bar.label}-${n}`} className="fin-chart-row">
            <span className="fin-chart-label">{bar.label}</span>
            <svg
              className="fin-chart-bar"
              role="img"
              aria-labelledby={`${id}-bar-${n}`}
              viewBox="0 0 100 10"
              preserveAspectRatio="none"
              focusable="false"
            >
              <title id={`${id}-bar-${n}`}>{`${bar.label}: ${bar.text}`}</title>
              <rect className="fin-chart-track" x="0" y="0" width="100" height="10" />
              <rect className="fin-chart-fill" x="0" y="0" width={Math.max((fractions[n] ?? 0) * 100, bar.cents > 0n ? 0.5 : 0)} height="10" />
            </svg>
            <span className="fin-chart-value">{bar.text}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
