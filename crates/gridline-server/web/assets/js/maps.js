// Maps with ECharts: the boundaries the server serves, the optional tile layer
// (GRIDLINE_MAP_TILES), a case's place, and the case layers (points or heat) of the dashboard map.

import { t } from './words.js';
import { optional } from './api.js';
import { h, unavailable } from './dom.js';
import { once } from './reference.js';

/** The served GeoJSON of `level` (districts or streets), or null when the server has none. */
// reads: GET /geo/{level}.geojson -
export const geojson = (level) => once(`geo:${level}`, () => optional('GET', `/geo/${level}.geojson`));

/** [[west, north], [east, south]] around `feature` and the extra points, with a margin: for geo.boundingCoords. */
function bounds(feature, ...points) {
  const flat = feature.geometry.coordinates.flat(Infinity);
  const lons = [...flat.filter((_, i) => i % 2 === 0), ...points.map((p) => p[0])];
  const lats = [...flat.filter((_, i) => i % 2 === 1), ...points.map((p) => p[1])];
  const [w, e, s, n] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const pad = Math.max(e - w, n - s) * 0.08;
  return [[w - pad, n + pad], [e + pad, s - pad]];
}

/** The optional tile layer (GRIDLINE_MAP_TILES; ECharts has none of its own): Web-Mercator tiles
 *  drawn as images under a geo chart's boundaries, redrawn as the map moves. Without it nothing
 *  is fetched from elsewhere. */
export const TILES = JSON.parse(document.querySelector('meta[name="gridline-map-tiles"]')?.content || 'null');
const MERCATOR = { project: ([lon, lat]) => [lon, (-180 / Math.PI) * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))],
  unproject: ([x, y]) => [x, (360 / Math.PI) * Math.atan(Math.exp((-y * Math.PI) / 180)) - 90] };
/** A geo component as the tiles need it: their projection, the areas see-through. */
export const tiled = (geo) => (TILES ? { ...geo, projection: MERCATOR, itemStyle: { ...geo.itemStyle, areaColor: 'rgba(255,255,255,0.2)' } } : geo);
export function drawTiles(chart) {
  if (!TILES) return;
  const draw = () => {
    const [w, ht] = [chart.getWidth(), chart.getHeight()];
    // The view's corners in degrees. (convertFromPixel answers projected coordinates under a
    // projection: the view is a scale and a shift of them, read off two known points instead.)
    const known = [[116, 39], [117, 41]];
    const [s1, s2] = known.map((p) => chart.convertToPixel('geo', p));
    const [m1, m2] = known.map(MERCATOR.project);
    const degrees = ([px, py]) => MERCATOR.unproject([m1[0] + ((px - s1[0]) * (m2[0] - m1[0])) / (s2[0] - s1[0]), m1[1] + ((py - s1[1]) * (m2[1] - m1[1])) / (s2[1] - s1[1])]);
    const [nw, se] = [degrees([0, 0]), degrees([w, ht])];
    if (!(se[0] > nw[0] && nw[1] > se[1])) return;
    const z = Math.max(1, Math.min(18, Math.round(Math.log2((360 * w) / 256 / (se[0] - nw[0])))));
    const n = 2 ** z;
    const col = (lon) => Math.floor(((lon + 180) / 360) * n);
    const row = (lat) => Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
    const corner = (x, y) => chart.convertToPixel('geo', [(x / n) * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI]);
    const elements = [];
    for (let x = col(nw[0]); x <= col(se[0]); x += 1) {
      for (let y = Math.max(0, row(nw[1])); y <= Math.min(n - 1, row(se[1])) && elements.length < 100; y += 1) {
        const [a, b] = [corner(x, y), corner(x + 1, y + 1)];
        const image = TILES.url.replace('{z}', z).replace('{x}', ((x % n) + n) % n).replace('{y}', y);
        elements.push({ type: 'image', silent: true, z: -10, style: { image, x: a[0], y: a[1], width: b[0] - a[0], height: b[1] - a[1] } });
      }
    }
    if (TILES.attribution) elements.push({ type: 'text', right: 4, bottom: 2, silent: true, style: { text: TILES.attribution, fontSize: 10, fill: '#555' } });
    chart.setOption({ graphic: { elements } }, { replaceMerge: ['graphic'] });
  };
  // Not inside the event: ECharts refuses a setOption during its own update.
  chart.on('georoam', () => setTimeout(draw));
  chart.on('finished', function first() { chart.off('finished', first); setTimeout(draw); });
}

/** The case's place among its street's boundaries (its district's other streets around it) when
 *  the map data is served; otherwise nothing but the text. */
export function pointMap(location, region) {
  const el = h('div', { class: 'mini-map chart', id: 'case-map', role: 'img', 'aria-label': `${t('case_place')} ${location.lat}, ${location.lon}` });
  const street = /^\d{12}$/.test(region ?? '') ? `${region.slice(0, 9)}000` : '';
  geojson('streets').then((geo) => {
    if (!geo || !window.echarts) { el.replaceWith(unavailable(t('map_unavailable'))); return; }
    const here = [location.lon, location.lat];
    const own = geo.features.find((f) => String(f.properties.code) === street);
    const features = own ? geo.features.filter((f) => String(f.properties.code).startsWith(street.slice(0, 6))) : geo.features;
    echarts.registerMap(`bj-case-${street || 'city'}`, { type: 'FeatureCollection', features });
    const chart = echarts.init(el);
    drawTiles(chart);
    chart.setOption({
      geo: tiled({ map: `bj-case-${street || 'city'}`, roam: true, ...(own ? { boundingCoords: bounds(own, here) } : { center: here, zoom: 6 }),
        itemStyle: { areaColor: '#f4f4f4', borderColor: '#bbb' }, emphasis: { disabled: true },
        regions: own ? [{ name: own.properties.name, itemStyle: { areaColor: TILES ? 'rgba(31,111,178,0.12)' : '#dbe9f6', borderColor: '#1f6fb2', borderWidth: 2 },
          label: { show: true, color: '#1f6fb2' } }] : [] }),
      series: [{ type: 'effectScatter', coordinateSystem: 'geo', data: [here], symbolSize: 12, itemStyle: { color: '#d73027' }, rippleEffect: { scale: 3 } }] });
    performance.mark('gridline:case-map');
  }).catch(() => el.replaceWith(unavailable(t('map_unavailable'))));
  return el;
}

/** The dashboard map's cases (GET /dashboard/map cells) as ECharts layers on the geo component:
 *  points (large mode; red where a cell holds an overdue case) or heat. */
export function caseLayers(cells, layer) {
  const unit = 10 ** -cells.precision;
  const at = (i) => [(cells.x[i] + 0.5) * unit, (cells.y[i] + 0.5) * unit, cells.count[i], cells.overdue[i]];
  const all = cells.x.map((_, i) => at(i));
  const most = Math.max(1, ...cells.count.slice().sort((a, b) => b - a).slice(0, Math.ceil(cells.count.length / 50)));
  if (layer === 'heat') {
    // Neighbouring cells' glows add up: the scale's top is three busy cells, or a city's centre is
    // one red blot (looked at on the demo city's 15,000 open cases).
    return { visualMap: { type: 'continuous', seriesIndex: 1, show: false, min: 0, max: most * 3, dimension: 2, inRange: { color: ['#313695', '#4575b4', '#abd9e9', '#fee090', '#f46d43', '#a50026'] } },
      series: [{ type: 'heatmap', coordinateSystem: 'geo', data: all, pointSize: 5, blurSize: 8, silent: true }] };
  }
  // Large mode draws all the points as one path, at once (not progressively: 100,000 take a few
  // hundred ms in one go, but seconds spread over frames), of one size.
  const size = all.length > 5000 ? 4 : (v) => Math.min(5 + Math.sqrt(v[2]) * 2, 22);
  const dots = (name, data, color) => ({ type: 'scatter', name, coordinateSystem: 'geo', data, symbolSize: size, large: true, largeThreshold: 5000, progressive: 0,
    itemStyle: { color, opacity: 0.75 }, tooltip: { formatter: (p) => t('map_cell').replace('{n}', p.value[2]).replace('{overdue}', p.value[3]) } });
  return { series: [dots(t('open'), all.filter((c) => !c[3]), '#2166ac'), dots(t('overdue_now'), all.filter((c) => c[3]), '#d73027')] };
}
