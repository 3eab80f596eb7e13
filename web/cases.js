// The case list: state, platform, shop, the next deadline with the days left (overdue marked); filters by state,
// deadline and platform, search by case number, shop or product. Filters live in the address (#/?state=…), so a
// list can be bookmarked and the back button works.
import { api } from './api.js';
import { h, replace, beijingToday, daysBetween, articleText, dueText, provisionalHint } from './dom.js';
import { lifecycle } from './app.js';

export function deadlineCell(next, todayText) {
  if (!next) return h('span', { class: 'muted' }, '—');
  if (!next.due) return h('span', { class: 'provisional', title: provisionalHint }, `${next.label}：暂不能确定`);
  const left = daysBetween(todayText, next.due);
  const text = left < 0 ? `已逾期 ${-left} 天` : left === 0 ? '今日届满' : `剩 ${left} 天`;
  return h('span', { class: left < 0 ? 'overdue' : left <= 3 ? 'soon' : next.provisional ? 'provisional' : '',
                     title: next.provisional ? provisionalHint : null },
    `${next.label} ${dueText(next)}（${text}）`, h('span', { class: 'article' }, ` ${articleText(next.article)}`));
}

export async function caseList(main, hash) {
  const params = new URLSearchParams(hash.split('?')[1] || '');
  const query = new URLSearchParams();
  for (const key of ['state', 'platform', 'deadline', 'q', 'offset']) if (params.get(key)) query.set(key, params.get(key));
  const [page, table] = await Promise.all([api.get(`/api/cases?${query}`), lifecycle()]);

  const go = (changes) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) if (v) next.set(k, v); else next.delete(k);
    if (!('offset' in changes)) next.delete('offset');
    location.hash = `#/?${next}`;
  };
  const select = (id, label, key, options) => {
    const el = h('select', { id, name: key, onchange: () => go({ [key]: el.value }) },
      h('option', { value: '' }, '全部'),
      options.map(([value, text]) => h('option', { value, selected: params.get(key) === value }, text)));
    return [h('label', { for: id }, label), el];
  };
  const platforms = [...new Set(page.items.map((c) => c.platform).concat(params.get('platform') || []))].filter(Boolean);
  const search = h('input', { id: 'search', name: 'q', type: 'search', value: params.get('q') || '', placeholder: '任务编号、店铺或产品' });
  const filters = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); go({ q: search.value.trim() }); } },
    select('filter-state', '状态', 'state', table.states.map((s) => [s.id, s.label])),
    select('filter-deadline', '期限', 'deadline', [['overdue', '已逾期'], ['week', '七日内到期']]),
    select('filter-platform', '平台', 'platform', platforms.map((p) => [p, p])),
    h('label', { for: 'search' }, '搜索'), search,
    h('button', { type: 'submit' }, '查找'));

  const day = beijingToday();
  const rows = page.items.map((c) => h('tr', {},
    h('td', {}, h('a', { href: `#/cases/${encodeURIComponent(c.number)}` }, c.number)),
    h('td', {}, h('span', { class: `state state-${c.state}` }, c.state_label)),
    h('td', {}, c.product),
    h('td', {}, c.shop),
    h('td', {}, c.platform),
    h('td', {}, deadlineCell(c.next_deadline, day))));
  const offset = Number(params.get('offset') || 0);
  const pager = h('nav', { class: 'pager', 'aria-label': '翻页' },
    h('span', {}, page.total ? `第 ${offset + 1}–${offset + page.items.length} 条，共 ${page.total} 条` : ''),
    offset > 0 && h('button', { type: 'button', onclick: () => go({ offset: String(Math.max(0, offset - page.limit)) }) }, '上一页'),
    offset + page.items.length < page.total && h('button', { type: 'button', onclick: () => go({ offset: String(offset + page.limit) }) }, '下一页'));
  replace(main,
    h('h1', {}, '抽样任务'),
    filters,
    page.items.length
      ? h('table', { class: 'cases' },
          h('caption', { class: 'sr-only' }, '抽样任务列表'),
          h('thead', {}, h('tr', {}, ['任务编号', '状态', '产品', '店铺', '平台', '下一个期限'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, rows))
      : h('p', { class: 'muted' }, '没有符合条件的任务'),
    pager);
}
