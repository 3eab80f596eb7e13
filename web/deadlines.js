// The deadline board across every case the person may see: overdue first, then month by month, a provisional one
// (the year's holiday notice not loaded yet, Art 75: a range, overdue judged on its earliest day) in a group of its
// own and never hidden. Periods that are not duties
// (Art 22: no second sampling; Art 47: keeping the records) only when asked for. At a centre, the cases stations sent
// are on it too, as their station computed them when it last sent the case (`as_of`).
import { api } from './api.js';
import { h, replace, beijing, daysBetween, articleText, dueText, provisionalHint } from './dom.js';

function caseCell(d) {
  if (!d.station) return h('td', {}, h('a', { href: `#/cases/${encodeURIComponent(d.case)}` }, d.case));
  return h('td', {}, h('a', { href: `#/stations/${encodeURIComponent(d.case)}` }, d.case),
    h('div', { class: 'muted' }, `工作站 ${d.station}，截至 ${beijing(d.as_of)}`));
}

function row(d, today) {
  const left = d.due ? daysBetween(today, d.due) : null;
  const leftText = left === null ? '暂不能确定' : left < 0 ? `已逾期 ${-left} 天` : left === 0 ? '今日届满' : `剩 ${left} 天`;
  return h('tr', { class: d.overdue ? 'overdue' : '' },
    caseCell(d),
    h('td', {}, d.label), h('td', { title: d.provisional ? provisionalHint : null }, dueText(d)),
    h('td', {}, leftText + (d.provisional && left !== null ? '（按最早一日）' : '')), h('td', {}, articleText(d.article)));
}

function table(caption, items, today) {
  return h('section', { class: 'card' }, h('h2', {}, `${caption}（${items.length}）`),
    h('table', {}, h('thead', {}, h('tr', {}, ['任务编号', '期限', '届满日', '剩余', '依据'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, items.map((d) => row(d, today)))));
}

export async function deadlineBoard(main, hash) {
  const params = new URLSearchParams(hash.split('?')[1] || '');
  const withPeriods = params.get('periods') === '1';
  const data = await api.get('/api/deadlines');
  const open = data.deadlines.filter((d) => d.status === 'open' && (withPeriods || d.unit === 'days'));
  const overdue = open.filter((d) => d.overdue);
  const provisional = open.filter((d) => d.provisional && !d.overdue);
  const byMonth = new Map();
  for (const d of open.filter((x) => !x.overdue && !x.provisional).sort((a, b) => a.due.localeCompare(b.due))) {
    const month = d.due.slice(0, 7);
    if (!byMonth.has(month)) byMonth.set(month, []);
    byMonth.get(month).push(d);
  }
  const toggle = h('input', { id: 'with-periods', type: 'checkbox', checked: withPeriods,
                              onchange: () => { location.hash = toggle.checked ? '#/deadlines?periods=1' : '#/deadlines'; } });
  replace(main,
    h('h1', {}, '期限一览'),
    h('p', {}, `今天 ${data.today}（北京时间）　`, toggle, h('label', { for: 'with-periods' }, ' 含不得重复抽查、资料保存等期间')),
    overdue.length ? table('已逾期', overdue, data.today) : h('p', { class: 'ok' }, '没有逾期的期限'),
    provisional.length > 0 && table('暂定（该年节假日安排尚未公布，第75条）', provisional, data.today),
    [...byMonth].map(([month, items]) => table(`${month.slice(0, 4)} 年 ${Number(month.slice(5))} 月届满`, items, data.today)),
    open.length === 0 && h('p', { class: 'muted' }, '没有未届满的期限'));
}
