// Renders a Vega-Lite spec to SVG headless (compiled to Vega, no browser, no canvas): the one place
// the benchmarks turn their JSON into pictures.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
