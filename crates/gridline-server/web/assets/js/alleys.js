// Back alleys (背街小巷): the alley map, an alley's page, the patrol board and the monthly ranking.

import { t } from './words.js';
import { api } from './api.js';
import { field, grid, h, options, score1, section, snippet, thisMonth, time, unavailable } from './dom.js';
import { districts } from './reference.js';
import { caseLayers, drawTiles, geojson, tiled } from './maps.js';
import { register, render } from './router.js';

/** A month's score as a colour: ≥95 green, ≥90 yellow-green, ≥80 orange, below red, none grey. */
const scoreColour = (x) => (x === null || x === undefined ? '#9e9e9e' : x >= 95 ? '#1a9850' : x >= 90 ? '#a6d96a' : x >= 80 ? '#fdae61' : '#d73027');
const lastMonth = () => {
  const [y, m] = thisMonth().split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
};
const gradeText = (g) => t(`grade.${g}`);
const alleyLink = (id, name) => h('a', { href: `/alleys?id=${id}` }, name);

/** The alley map (lines coloured by the month's score), the month's ranking and the quarter's worst. */
register('alleys', async () => {
  const params = new URLSearchParams(location.search);
  if (params.get('id')) return alleyPage(params.get('id'));
  if (params.get('board')) return patrolBoard(params.get('board'), params.get('day'));
  const region = params.get('region') || '';
  const month = params.get('month') || lastMonth();
  const go = (changes) => {
    const next = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
    history.pushState(null, '', `/alleys?${next}`);
    render();
  };
  const regionSelect = h('select', { id: 'alley-region' }, options([['', t('city')], ...(await districts()).map((d) => [d.code, d.name])], region));
  const monthInput = h('input', { id: 'alley-month', type: 'month', value: month });
  // The open cases on the same map (GET /dashboard/map), off unless asked for.
  const caseLayer = ['dots', 'heat'].includes(params.get('points')) ? params.get('points') : 'off';
  const caseSelect = h('select', { id: 'alley-cases' }, options(['off', 'dots', 'heat'].map((k) => [k, t(`map_layer.${k}`)]), caseLayer));
  const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); go({ region: regionSelect.value, month: monthInput.value, points: caseSelect.value === 'off' ? '' : caseSelect.value }); } },
    field(t('district'), regionSelect), field(t('period'), monthInput), field(t('map_cases.open'), caseSelect), h('button', { type: 'submit' }, t('refresh')));
  const where = region ? `&region=${encodeURIComponent(region)}` : '';
  // reads: GET /alleys month features[].id features[].geometry.coordinates features[].properties.name features[].properties.score features[].properties.grade features[].properties.listed features[].properties.street_name
  const map = await api('GET', `/alleys?month=${encodeURIComponent(month)}${where}`);
  // reads: GET /alleys/ranking month region_name items[].id items[].name items[].street_name items[].district_name items[].score items[].grade items[].rank_in_city items[].rank_in_district items[].rank_in_street named_worst[].id named_worst[].name named_worst[].street_name named_worst[].quarter_mean
  const ranking = await api('GET', `/alleys/ranking?period=${encodeURIComponent(month)}${where}`);
  const mapEl = h('div', { class: 'chart map', id: 'alley-map', role: 'img', 'aria-label': t('alley_map') });
  const legend = h('p', { class: 'legend muted' }, [['≥95', 95], ['90–95', 92], ['80–90', 85], ['<80', 50], [t('alley_unscored'), null]].map(([label, x]) =>
    h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${scoreColour(x)}` }), ` ${label} `)));
  const listed = map.features.filter((f) => f.properties.listed).length;
  const scored = map.features.filter((f) => f.properties.score !== null);
  const below = scored.filter((f) => f.properties.score < 90).length;
  const summary = h('p', { id: 'alley-summary' }, `${t('alley_count')} ${map.features.length} · ${t('alley_scored')} ${scored.length} · ${t('alley_below')} ${below} · ${t('alley_listed')} ${listed}`);
  setTimeout(async () => {
    const geo = await geojson(region ? 'streets' : 'districts').catch(() => null);
    if (!window.echarts) { mapEl.replaceWith(unavailable(t('map_unavailable'))); return; }
    const features = geo ? (region ? geo.features.filter((f) => String(f.properties.code).startsWith(region.slice(0, 6))) : geo.features) : [];
    const mapName = `bj-alleys-${region || 'city'}`;
    echarts.registerMap(mapName, { type: 'FeatureCollection', features });
    // reads: GET /dashboard/map precision x y count overdue
    const cells = caseLayer === 'off' ? null : await api('GET', `/dashboard/map?cases=open${where}`).catch(() => null);
    const layers = cells ? caseLayers(cells, caseLayer) : { series: [] };
    const chart = echarts.init(mapEl);
    drawTiles(chart);
    chart.setOption({
      tooltip: { formatter: (p) => (p.data?.name ? `${p.data.name} · ${p.data.street} · ${score1(p.data.score)}${p.data.listed ? ` · ${t('alley_listed')}` : ''}` : p.name) },
      geo: tiled({ map: mapName, roam: true, itemStyle: { areaColor: '#f4f4f4', borderColor: '#bbb' }, emphasis: { disabled: true } }),
      ...(layers.visualMap ? { visualMap: layers.visualMap } : {}),
      series: [{ type: 'lines', coordinateSystem: 'geo', polyline: true, silent: false,
        data: map.features.map((f) => ({ id: f.id, name: f.properties.name, street: f.properties.street_name, score: f.properties.score, listed: f.properties.listed,
          coords: f.geometry.coordinates, lineStyle: { color: scoreColour(f.properties.score), width: f.properties.listed ? 5 : 3 } })) }, ...layers.series],
    });
    chart.on('click', (p) => { if (p.data?.id) { history.pushState(null, '', `/alleys?id=${p.data.id}`); render(); } });
    performance.mark('gridline:alley-map');
  }, 0);
  const rows = ranking.items.slice(0, 200).map((r) => [r.rank_in_city, r.rank_in_district, r.rank_in_street, alleyLink(r.id, r.name),
    `${r.district_name} ${r.street_name}`, score1(r.score), gradeText(r.grade)]);
  const content = [h('h1', {}, t('page.alleys')), form, summary, mapEl, legend,
    section(`${ranking.region_name} ${t('alley_ranking')} · ${ranking.month}`,
      grid([t('alley_rank_city'), t('alley_rank_district'), t('alley_rank_street'), t('alley_name'), t('region'), t('score'), t('alley_grade')], rows, 'alley-ranking'))];
  if (ranking.named_worst.length) {
    content.push(section(t('alley_named'), grid([t('alley_name'), t('region'), t('alley_quarter_mean')],
      ranking.named_worst.map((n) => [alleyLink(n.id, n.name), n.street_name, score1(n.quarter_mean)]), 'alley-named')));
  }
  return content;
});

const changeText = (c) => {
  switch (c.kind) {
    case 'downgraded': return `${t('alley_downgraded')} ${gradeText(c.from)} → ${gradeText(c.to)} (${score1(c.score)})`;
    case 'restored': return `${t('alley_restored')} ${gradeText(c.to)}`;
    case 'listing_due': return `${t('alley_listing_due')} (${c.low_months})`;
    case 'listed': return `${t('alley_listed')} #${c.listing}`;
    case 'listing_checked': return `${t('alley_recheck')} ${t(c.passed ? 'check.passed' : 'check.failed')}${c.delisted ? ` · ${t('delisted')}` : ''}`;
    case 'title_named': return t('alley_title_named');
    case 'title': return `${t('alley_title')} ${t(`title.${c.from}`)} → ${t(`title.${c.to}`)} (${score1(c.quarter_low)})`;
    default: return c.kind;
  }
};

/** An alley's page: its 四有, grade, title and its history, scores, listing, patrols and checks. */
async function alleyPage(id) {
  // reads: GET /alleys/{id} alley.point.name alley.point.code alley.point.region alley.community alley.length_m alley.awarded alley.standing.grade alley.standing.downgraded alley.four.chief alley.four.stewards alley.four.council alley.four.compact alley.title.status alley.title.named_in listed listing.reason listing.deadline scores[].month scores[].score scores[].checks scores[].check_mean scores[].hotline_cases scores[].other_cases scores[].grade history[].month history[].change patrols[].day patrols[].problems[].clause patrols[].problems[].case_id checks[].day checks[].ten_no.earned checks[].problems[].clause cases[].month cases[].id cases[].channel cases[].text
  const d = await api('GET', `/alleys/${encodeURIComponent(id)}`);
  // The patrols and checks name the clauses by code; the page shows their text.
  // reads: GET /alleys/standard category[].item[].clause[].code category[].item[].clause[].text
  const standard = await api('GET', '/alleys/standard');
  const clauseText = new Map(standard.category.flatMap((c) => c.item.flatMap((i) => i.clause.map((x) => [x.code, x.text]))));
  const clauses = (problems) => problems.map((x) => clauseText.get(x.clause) ?? x.clause).join('、') || '✓';
  const a = d.alley;
  const monthly = d['scores'];
  const four = [[t('alley_chief'), a.four.chief], [t('alley_stewards'), a.four.stewards.join('、')], [t('alley_council'), a.four.council], [t('alley_compact'), a.four.compact]];
  const scoreEl = h('div', { class: 'chart', id: 'alley-trend', role: 'img', 'aria-label': t('alley_scores') });
  setTimeout(() => {
    if (!window.echarts || !monthly.length) return;
    echarts.init(scoreEl).setOption({ tooltip: { trigger: 'axis' }, grid: { left: 40, right: 16, top: 16, bottom: 24 },
      xAxis: { type: 'category', data: monthly.map((s) => s.month) }, yAxis: { type: 'value', min: (v) => Math.min(70, Math.floor(v.min)), max: 100 },
      series: [{ type: 'line', data: monthly.map((s) => s.score), markLine: { silent: true, data: [{ yAxis: 90 }] } }] });
  }, 0);
  return [h('p', {}, h('a', { href: '/alleys' }, `← ${t('page.alleys')}`)),
    h('h1', {}, a.point.name, ' ', d.listed ? h('span', { class: 'badge bad' }, t('alley_listed')) : ''),
    h('p', { class: 'muted' }, `${a.point.code} · ${a.community ?? ''} · ${Math.round(a.length_m)} m · `,
      h('a', { href: `/alleys?board=${a.point.region}` }, t('alley_board'))),
    h('dl', { class: 'facts', id: 'alley-facts' },
      h('dt', {}, t('alley_grade')), h('dd', {}, `${gradeText(a.standing.grade)}${a.standing.downgraded ? ` (${t('alley_awarded')} ${gradeText(a.awarded)}, ${t('alley_downgraded')})` : ''}`),
      h('dt', {}, t('alley_title')), h('dd', {}, a.title ? `${t(`title.${a.title.status}`)} · ${t('alley_title_named')} ${a.title.named_in}` : '—'),
      ...four.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v || h('span', { class: 'badge warn' }, t('alley_missing')))])),
    d.listing ? h('p', { class: 'notice error', id: 'alley-listing' }, `${t('alley_listed')}: ${d.listing.reason} · ${t('deadline')} ${time(d.listing.deadline)}`) : null,
    section(t('alley_scores'), scoreEl, grid([t('period'), t('score'), t('alley_checks'), t('alley_check_mean'), t('ev_hotline'), t('alley_other_cases'), t('alley_grade')],
      monthly.slice().reverse().map((s) => [s.month, score1(s.score), s.checks, score1(s.check_mean), s.hotline_cases, s.other_cases, gradeText(s.grade)]), 'alley-scores')),
    section(t('alley_history'), grid([t('period'), t('alley_change')], d.history.slice().reverse().map((e) => [e.month, changeText(e.change)]), 'alley-history')),
    section(t('alley_patrols'), grid([t('alley_day'), t('alley_problems'), t('ev_case')], d.patrols.map((p) => [p.day, clauses(p.problems),
      h('span', {}, ...p.problems.filter((x) => x.case_id).map((x) => h('a', { href: `/cases/${x.case_id}` }, `#${x.case_id} `)))]), 'alley-patrols')),
    section(t('alley_weekly'), grid([t('alley_day'), t('score'), t('alley_problems')], d.checks.map((c) => [c.day, score1(c.ten_no.earned), clauses(c.problems)]), 'alley-checks')),
    section(`${t('alley_cases')}${d.cases.length ? ` · ${d.cases[0].month}` : ''}`, d.cases.length
      ? grid([t('ev_case'), t('channel'), t('description')], d.cases.map((c) => [h('a', { href: `/cases/${c.id}` }, `#${c.id}`), t(`channel.${c.channel}`), snippet(c.text)]), 'alley-cases')
      : h('p', { class: 'empty' }, t('empty')))];
}

/** The street's patrol board: every alley with its patrols that day, the missed ones first. */
async function patrolBoard(region, day) {
  const q = day ? `&day=${encodeURIComponent(day)}` : '';
  // reads: GET /alleys/patrol-board items[].id items[].name items[].code items[].patrols items[].problems items[].missed
  const board = await api('GET', `/alleys/patrol-board?region=${encodeURIComponent(region)}${q}`);
  const items = board.items.slice().sort((x, y) => Number(y.missed) - Number(x.missed));
  const missed = items.filter((r) => r.missed).length;
  return [h('p', {}, h('a', { href: '/alleys' }, `← ${t('page.alleys')}`)), h('h1', {}, `${t('alley_board')} · ${day || t('today')}`),
    h('p', { id: 'board-summary' }, `${t('alley_count')} ${items.length} · ${t('alley_missed')} ${missed}`),
    grid([t('alley_name'), t('alley_patrols'), t('alley_problems'), t('status')], items.map((r) => [alleyLink(r.id, r.name), r.patrols, r.problems,
      r.missed ? h('span', { class: 'badge bad' }, t('alley_missed')) : h('span', { class: 'badge ok' }, '✓')]), 'patrol-board')];
}
