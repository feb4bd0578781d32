// The dashboard: figures, trend, categories, and the map of regions and cases, drilling down city → district → street.

import { t } from './words.js';
import { api } from './api.js';
import { field, h, options, pct, section, unavailable } from './dom.js';
import { baseColumns, caseTable, clockBadge, kpis } from './cases.js';
import { districts } from './reference.js';
import { caseLayers, drawTiles, geojson, tiled, TILES } from './maps.js';
import { register, render } from './router.js';

register('dashboard', async () => {
  const params = new URLSearchParams(location.search);
  const region = params.get('region') || '';
  const colour = params.get('colour') === 'overdue' ? 'overdue' : 'volume';
  const which = ['overdue', 'received'].includes(params.get('cases')) ? params.get('cases') : 'open';
  const layer = ['heat', 'off'].includes(params.get('points')) ? params.get('points') : 'dots';
  // reads: GET /dashboard @overview scope.level scope.parent scope.code scope.name by_region[].code by_region[].name by_region[].total by_region[].open by_region[].overdue trend[].date trend[].received trend[].closed by_category[].name by_category[].count
  const o = await api('GET', `/dashboard${region ? `?region=${encodeURIComponent(region)}` : ''}`);
  const go = (code, colourBy = colour, cases = which, points = layer) => {
    const next = new URLSearchParams();
    if (code) next.set('region', code);
    if (colourBy !== 'volume') next.set('colour', colourBy);
    if (cases !== 'open') next.set('cases', cases);
    if (points !== 'dots') next.set('points', points);
    history.pushState(null, '', `/dashboard${next.toString() ? `?${next}` : ''}`);
    render();
  };
  // Breadcrumb: city → district → street.
  const trail = [h('a', { href: '/dashboard', onclick: (e) => { e.preventDefault(); go(''); } }, t('city'))];
  if (o.scope.level === 'street' && o.scope.parent) {
    const district = (await districts()).find((d) => d.code === o.scope.parent);
    if (district) trail.push(' › ', h('a', { href: `/dashboard?region=${district.code}`, onclick: (e) => { e.preventDefault(); go(district.code); } }, district.name));
  }
  if (o.scope.code) trail.push(' › ', h('span', { 'aria-current': 'page' }, o.scope.name));
  const colourSelect = h('select', { id: 'colour-by', onchange: (e) => go(region, e.target.value) },
    options([['volume', t('volume')], ['overdue', t('overdue_share')]], colour));
  const casesSelect = h('select', { id: 'map-cases', onchange: (e) => go(region, colour, e.target.value) },
    options(['open', 'overdue', 'received'].map((k) => [k, t(`map_cases.${k}`)]), which));
  const layerSelect = h('select', { id: 'map-layer', onchange: (e) => go(region, colour, which, e.target.value) },
    options(['dots', 'heat', 'off'].map((k) => [k, t(`map_layer.${k}`)]), layer));
  const mapCount = h('p', { class: 'hint', id: 'map-count', 'aria-live': 'polite' });

  const trendEl = h('div', { class: 'chart', id: 'trend-chart', role: 'img', 'aria-label': t('trend') });
  const catEl = h('div', { class: 'chart', id: 'category-chart', role: 'img', 'aria-label': t('by_category') });
  const mapEl = h('div', { class: 'chart map', id: 'region-map', role: 'img', 'aria-label': t('map') });
  const mapNote = h('div', {});
  const value = (r) => (colour === 'overdue' ? (r.total ? r.overdue / r.total : 0) : r.total);
  const regionTable = o.by_region.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'region-table' },
    h('thead', {}, h('tr', {}, [t(o.scope.level === 'district' ? 'region' : 'district'), t('total'), t('open'), t('overdue_now'), t('overdue_share')].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, o.by_region.map((r) => h('tr', {},
      h('td', {}, h('a', { href: `/dashboard?region=${r.code}`, 'data-region': r.code, onclick: (e) => { e.preventDefault(); go(r.code); } }, r.name)),
      h('td', {}, r.total), h('td', {}, r.open), h('td', {}, r.overdue), h('td', {}, pct(r.total ? r.overdue / r.total : null))))))) : null;
  let casesHere = null;
  if (o.scope.level === 'street') {
    // reads: GET /cases total items[]@case
    const page = await api('GET', `/cases?region=${encodeURIComponent(o.scope.code)}&page_size=50`);
    casesHere = section(`${t('cases_here')} (${page.total})`, caseTable(page.items, [...baseColumns(), [t('deadline'), (c) => clockBadge(c)]]));
  }
  const content = [h('h1', {}, t('page.dashboard')), h('nav', { class: 'trail', 'aria-label': t('map') }, trail), kpis(o),
    h('div', { class: 'columns' }, section(t('trend'), trendEl), section(t('by_category'), catEl)),
    section(o.by_region.length ? t('by_region') : t('map'), o.by_region.length ? h('p', { class: 'hint' }, t('drill_hint')) : null,
      h('div', { class: 'inline' }, o.by_region.length ? field(t('colour_by'), colourSelect) : null, field(t('map_cases'), casesSelect), field(t('map_layer'), layerSelect)),
      mapNote, mapEl, mapCount, regionTable),
    casesHere];

  // Charts are drawn once the elements are in the page (ECharts needs their size).
  requestAnimationFrame(async () => {
    if (!window.echarts) return;
    echarts.init(trendEl).setOption({ tooltip: { trigger: 'axis' }, legend: { data: [t('received'), t('closed')] },
      grid: { left: 40, right: 16, top: 32, bottom: 24 }, xAxis: { type: 'category', data: o.trend.map((d) => d.date.slice(5)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: t('received'), type: 'line', smooth: true, data: o.trend.map((d) => d.received) },
        { name: t('closed'), type: 'line', smooth: true, data: o.trend.map((d) => d.closed) }] });
    echarts.init(catEl).setOption({ tooltip: {}, grid: { left: 110, right: 16, top: 8, bottom: 24 },
      xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', inverse: true, data: o.by_category.map((c) => c.name) },
      series: [{ type: 'bar', data: o.by_category.map((c) => c.count) }] });
    const level = o.scope.level === 'city' ? 'districts' : 'streets';
    const scoped = new URLSearchParams({ cases: which });
    if (o.scope.code) scoped.set('region', o.scope.code);
    // A bookmarked address may name the months received and the grid (`?cases=received&period=2026-01..2026-06&precision=5`).
    for (const key of which === 'received' ? ['period', 'precision'] : ['precision']) if (params.get(key)) scoped.set(key, params.get(key));
    // reads: GET /dashboard/map precision placed unplaced x y count overdue
    const [geo, cells] = await Promise.all([geojson(level).catch(() => null), layer === 'off' ? null : api('GET', `/dashboard/map?${scoped}`).catch(() => null)]);
    if (cells) {
      const overdue = cells.overdue.reduce((a, b) => a + b, 0);
      mapCount.textContent = [t('map_placed').replace('{n}', cells.placed).replace('{overdue}', overdue),
        cells.unplaced ? t('map_unplaced').replace('{n}', cells.unplaced) : ''].filter(Boolean).join('；');
    }
    const data = o.by_region.map((r) => ({ name: r.name, value: value(r), code: r.code }));
    const max = Math.max(colour === 'overdue' ? 0.01 : 1, ...data.map((d) => d.value));
    let chart;
    if (geo) {
      const own = (f) => String(f.properties.code);
      const features = o.scope.level === 'street' ? geo.features.filter((f) => own(f) === o.scope.code)
        : level === 'streets' ? geo.features.filter((f) => own(f).startsWith(o.scope.code.slice(0, 6))) : geo.features;
      const mapName = `bj-${level}-${o.scope.code ?? 'city'}`;
      echarts.registerMap(mapName, { type: 'FeatureCollection', features });
      const layers = cells ? caseLayers(cells, layer) : { series: [] };
      chart = echarts.init(mapEl);
      chart.on('finished', function drawn() { chart.off('finished', drawn); performance.mark('gridline:case-map'); });
      drawTiles(chart);
      // No animation: 'finished' is when the map is drawn, not a second later when its colours settled.
      chart.setOption({ animation: false, tooltip: { formatter: (p) => `${p.name}: ${colour === 'overdue' ? pct(p.value) : p.value ?? 0}` },
        geo: tiled({ map: mapName, roam: true, label: { show: level === 'districts' }, itemStyle: { areaColor: '#f4f4f4', borderColor: '#999' } }),
        visualMap: [...(data.length ? [{ seriesIndex: 0, min: 0, max, left: 8, bottom: 8, calculable: true, ...(mapEl.clientWidth < 600 ? { itemWidth: 10, itemHeight: 70 } : {}), inRange: { color: cells ? ['#fff5eb', '#fdd0a2', '#fdae6b'] : ['#fff5eb', '#fd8d3c', '#a63603'], ...(TILES ? { colorAlpha: 0.45 } : {}) } }] : []),
          ...(layers.visualMap ? [layers.visualMap] : [])],
        series: [{ type: 'map', geoIndex: 0, data }, ...layers.series] });
    } else {
      if (!o.by_region.length) { mapEl.replaceWith(unavailable(t('map_unavailable'))); return; }
      mapNote.replaceChildren(unavailable(t('map_unavailable')));
      mapEl.classList.add('bars');
      chart = echarts.init(mapEl);
      chart.setOption({ tooltip: {}, grid: { left: 120, right: 16, top: 8, bottom: 24 }, xAxis: { type: 'value' },
        yAxis: { type: 'category', inverse: true, data: data.map((d) => d.name) },
        visualMap: { show: false, min: 0, max, dimension: 0, inRange: { color: ['#fdd0a2', '#a63603'] } },
        series: [{ type: 'bar', data: data.map((d) => d.value) }] });
    }
    chart.on('click', (p) => { const hit = o.by_region.find((r) => r.name === p.name); if (hit) go(hit.code); });
    performance.mark('gridline:charts');
  });
  return content;
});
