// A platform's or a network supervision unit's account (Art 62): the results published to it and the notices it
// received, each with its document; nothing of any case beyond that.
import { api } from './api.js';
import { h, replace, beijing, articleText, deliveryText } from './dom.js';

export async function publishedPage(main) {
  const data = await api.get('/api/published');
  replace(main,
    h('h1', {}, '向本单位公开或送达的抽查信息'),
    data.notices.length
      ? h('table', { class: 'cases' },
          h('caption', { class: 'sr-only' }, '公开的抽查结果与收到的通知'),
          h('thead', {}, h('tr', {}, ['任务编号', '事项', '依据', '时间', '送达', '文书'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, data.notices.map((n) => h('tr', {},
            h('td', {}, n.case),
            h('td', {}, n.label || n.kind),
            h('td', {}, articleText(n.article)),
            h('td', {}, beijing(n.created)),
            h('td', {}, n.deliveries.map((d) => deliveryText(d.channel, d.state)).join('；') || '—'),
            h('td', {}, h('a', { href: n.document, target: '_blank', rel: 'noopener' }, 'PDF'))))))
      : h('p', { class: 'muted' }, '暂无向本单位公开或送达的信息'));
}
